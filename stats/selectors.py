"""Reads of the statistics, and the slow from-scratch reference they are checked against.

The ``*_from_scratch`` functions walk the ORM one object at a time on purpose: they are
the obviously correct definition that tests and the benchmark compare the set-based
services with. Never call them on a request path.
"""

from datetime import timedelta
from decimal import Decimal
from typing import TypedDict

from django.utils import timezone

from catalog.models import Category, Product
from stats import figures
from stats.models import ProductStaleness


class ProductFigures(TypedDict):
    category_id: int | None
    variant_count: int
    price_min: Decimal | None
    price_max: Decimal | None
    price_avg: Decimal | None
    total_stock: int
    stock_status: str
    completeness: int


class CategoryFigures(TypedDict):
    product_count: int
    published_count: int
    draft_count: int
    price_min: Decimal | None
    price_max: Decimal | None
    total_stock: int


#: The computed fields of ``ProductStats`` / ``CategoryStats`` (bookkeeping excluded).
PRODUCT_FIGURES: tuple[str, ...] = tuple(ProductFigures.__annotations__)
CATEGORY_FIGURES: tuple[str, ...] = tuple(CategoryFigures.__annotations__)


def product_stats_from_scratch(*, product_id: int) -> tuple[ProductFigures, int] | None:
    """Figures of one product and the version they describe; None if it does not exist."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        return None
    variants = list(product.variants.all())
    prices = [variant.price for variant in variants]
    total_stock = sum(variant.stock for variant in variants)
    result: ProductFigures = {
        "category_id": product.category_id,
        "variant_count": len(variants),
        "price_min": min(prices, default=None),
        "price_max": max(prices, default=None),
        "price_avg": figures.price_average(
            price_sum=sum(prices) if prices else None, variant_count=len(prices)
        ),
        "total_stock": total_stock,
        "stock_status": figures.stock_status(total_stock=total_stock),
        "completeness": figures.completeness(
            description_length=len(product.description),
            has_category=product.category_id is not None,
            variant_count=len(variants),
            unlabelled_variant_count=sum(1 for v in variants if not v.size and not v.colour),
            published=product.status == Product.Status.PUBLISHED,
        ),
    }
    return result, product.version


def category_stats_from_scratch(*, category_id: int) -> CategoryFigures:
    """Figures over a category and every category below it, one tree level per query."""
    subtree = {category_id}
    level = {category_id}
    while level:
        level = set(Category.objects.filter(parent_id__in=level).values_list("id", flat=True))
        level -= subtree  # a cycle in bad data must not loop forever
        subtree |= level
    products = list(Product.objects.filter(category_id__in=subtree).prefetch_related("variants"))
    variants = [variant for product in products for variant in product.variants.all()]
    prices = [variant.price for variant in variants]
    return {
        "product_count": len(products),
        "published_count": sum(1 for p in products if p.status == Product.Status.PUBLISHED),
        "draft_count": sum(1 for p in products if p.status == Product.Status.DRAFT),
        "price_min": min(prices, default=None),
        "price_max": max(prices, default=None),
        "total_stock": sum(variant.stock for variant in variants),
    }


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
