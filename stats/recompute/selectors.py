"""Reads of the stale marks: what the sweep picks up, and what monitoring shows of them."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from stats.recompute.models import CategoryStaleness, ProductStaleness
from stats.recompute.sql import table_rows_estimate


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


#: Stale products counted one by one; beyond, the table's row estimate (see below).
STALE_COUNTED_EXACTLY = 100_000


def staleness_figures(*, now: datetime) -> Staleness:
    """Stale products (and the age of the oldest mark) and stale categories, at ``now``."""
    oldest = ProductStaleness.objects.aggregate(oldest=Min("stale_since"))["oldest"]
    return Staleness(
        products=stale_products_count(),
        oldest_seconds=(now - oldest).total_seconds() if oldest else None,
        categories=CategoryStaleness.objects.count(),
    )


def stale_products_count(*, exactly_up_to: int = STALE_COUNTED_EXACTLY) -> int:
    """How many products are stale: exact up to ``exactly_up_to``, estimated beyond.

    The monitoring snapshot is taken every few seconds and must stay cheap. A count reads
    every mark, and after a seed or an import of a large catalog every product has one: a
    million marks took about 90 ms to count, the whole snapshot's budget. Beyond the bound
    the figure is the table's row estimate from the database's statistics (MariaDB's
    ``TABLE_ROWS``, off by some percent; never below the bound), which tells "about a
    million behind" as well as an exact count would.
    """
    counted = ProductStaleness.objects.order_by()[: exactly_up_to + 1].count()
    if counted <= exactly_up_to:
        return counted
    return max(counted, table_rows_estimate(ProductStaleness) or 0)
