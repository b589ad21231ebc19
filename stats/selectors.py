"""Reads of the statistics worth a name."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from stats.figures import CATEGORY_PRICE_FIGURES
from stats.models import CategoryPriceRange, ProductStaleness


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


def category_price_ranges(*, category_id: int) -> dict[str, dict[str, Decimal]]:
    """A category's stored price ranges: per currency, ``CATEGORY_PRICE_FIGURES``."""
    rows = CategoryPriceRange.objects.filter(category_id=category_id).order_by("currency")
    return {
        row.currency: {name: getattr(row, name) for name in CATEGORY_PRICE_FIGURES} for row in rows
    }
