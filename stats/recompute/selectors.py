"""Reads of the stale marks: what the sweep picks up, and what monitoring shows of them."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from stats.recompute.models import CategoryStaleness, ProductStaleness


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


@dataclass(frozen=True)
class Staleness:
    """How far the statistics are behind: what the monitoring snapshot reports."""

    products: int
    oldest_seconds: float | None
    categories: int


def staleness_figures(*, now: datetime) -> Staleness:
    """Stale products (and the age of the oldest mark) and stale categories, at ``now``."""
    oldest = ProductStaleness.objects.aggregate(oldest=Min("stale_since"))["oldest"]
    return Staleness(
        products=ProductStaleness.objects.count(),
        oldest_seconds=(now - oldest).total_seconds() if oldest else None,
        categories=CategoryStaleness.objects.count(),
    )
