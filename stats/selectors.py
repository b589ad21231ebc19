"""Reads of the statistics worth a name."""

from datetime import timedelta

from django.utils import timezone

from stats.models import ProductStaleness


def stale_products(*, older_than: timedelta, limit: int) -> list[int]:
    """Ids of products stale for at least ``older_than``, the longest-waiting first.

    The backstop for lost recompute messages: a product normally leaves this list within
    seconds of its save, so anything older was dropped somewhere and must be re-queued.
    """
    cutoff = timezone.now() - older_than
    return list(
        ProductStaleness.objects.filter(stale_since__lte=cutoff)
        .order_by("stale_since", "product_id")
        .values_list("product_id", flat=True)[:limit]
    )
