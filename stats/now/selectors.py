"""Reads for the page that waits for fresh figures (the poll of ``stats.admin.fresh``)."""

from catalog.models import Product
from stats.recompute.models import ProductStaleness, ProductStats


def product_stats_current(*, product_id: int) -> Product | None:
    """The product with its statistics and stale mark read now, or None if it is gone."""
    return Product.objects.select_related("stats", "staleness").filter(pk=product_id).first()


def product_stats_pending(product: Product) -> bool:
    """Whether a recompute of ``product`` is still to come: a mark, or no figures yet."""
    try:
        product.staleness  # noqa: B018  (a read: does the mark exist?)
    except ProductStaleness.DoesNotExist:
        pass
    else:
        return True
    try:
        return product.stats.computed_version != product.version
    except ProductStats.DoesNotExist:
        return True
