"""Statistics from scratch, one object at a time: the reference and the benchmark baseline.

The ``*_from_scratch`` functions walk the ORM on purpose: they are the obviously correct
definition that tests and benchmarks compare the set-based recompute with. The rules
(stock status, completeness, average) are ``stats.figures``', shared with the recompute.
"""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.models import Product, Variant
from catalog.selectors import category_subtrees, category_tree, category_with_ancestors
from stats import figures
from stats.models import CategoryPriceRange, CategoryStats, ProductStaleness, ProductStats
from stats.recompute.marks import Marks, marks_claim, token
from stats.recompute.products import RecomputeResult


def product_stats_from_scratch(*, product_id: int) -> tuple[dict[str, Any], int] | None:
    """Figures of one product (``figures.PRODUCT_FIGURES``) and the version they describe."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        return None
    variants = list(product.variants.all())
    prices = [variant.price for variant in variants]
    total_stock = sum(variant.stock for variant in variants)
    result = {
        "category_id": product.category_id,
        "variant_count": len(variants),
        **figures.product_price_figures(
            currencies={variant.currency for variant in variants},
            price_min=min(prices, default=None),
            price_max=max(prices, default=None),
            price_sum=sum(prices) if prices else None,
            variant_count=len(prices),
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
    assert tuple(result) == figures.PRODUCT_FIGURES
    return result, product.version


def category_stats_from_scratch(*, category_id: int) -> dict[str, Any]:
    """Figures (``figures.CATEGORY_FIGURES``) over a category and every category below it."""
    subtree = category_subtrees([category_id], category_tree())
    products = list(Product.objects.filter(category_id__in=subtree).prefetch_related("variants"))
    variants = [variant for product in products for variant in product.variants.all()]
    result = {
        "product_count": len(products),
        "published_count": sum(1 for p in products if p.status == Product.Status.PUBLISHED),
        "draft_count": sum(1 for p in products if p.status == Product.Status.DRAFT),
        "total_stock": sum(variant.stock for variant in variants),
    }
    assert tuple(result) == figures.CATEGORY_FIGURES
    return result


def category_price_ranges_from_scratch(*, category_id: int) -> dict[str, dict[str, Decimal]]:
    """Per currency, ``figures.CATEGORY_PRICE_FIGURES`` over the subtree's variants."""
    subtree = category_subtrees([category_id], category_tree())
    prices: dict[str, list[Decimal]] = {}
    for variant in Variant.objects.filter(product__category_id__in=subtree):
        prices.setdefault(variant.currency, []).append(variant.price)
    return {
        currency: {"price_min": min(values), "price_max": max(values)}
        for currency, values in sorted(prices.items())
    }


def _marks_read(product_ids: list[int]) -> Marks:
    rows = ProductStaleness.objects.filter(product_id__in=product_ids).values_list(
        "product_id", "token", "pending_saves"
    )
    return {pid: (token(value), pending) for pid, value, pending in rows}


def product_stats_recompute_loop(*, product_ids: list[int]) -> RecomputeResult:
    """The per-product ORM loop: the benchmark's baseline, same results, many more queries.

    Each product is computed from scratch and written in its own transaction with the
    same mark claim as the set-based path; affected categories are then computed one by
    one. It skips the category row locks, so it is not meant for concurrent use.
    """
    result = RecomputeResult()
    touched: set[int] = set()
    for pid in sorted(set(product_ids)):
        with transaction.atomic():
            marks = _marks_read([pid])
            computed = product_stats_from_scratch(product_id=pid)
            if computed is None:
                ProductStaleness.objects.filter(product_id=pid).delete()
                result += RecomputeResult(missing=1)
                continue
            values, version = computed
            old = ProductStats.objects.filter(product_id=pid).first()
            if old is not None and not marks and old.computed_version == version:
                result += RecomputeResult(skipped_current=1)
                continue
            ProductStats.objects.update_or_create(
                product_id=pid,
                defaults={**values, "computed_at": timezone.now(), "computed_version": version},
            )
            touched |= {values["category_id"], old.category_id if old else None} - {None}
            marks_claim(marks)
            result += RecomputeResult(computed=1)
    now = timezone.now()
    for category_id in sorted(category_with_ancestors(touched, category_tree())):
        with transaction.atomic():
            CategoryStats.objects.update_or_create(
                category_id=category_id,
                defaults={
                    **category_stats_from_scratch(category_id=category_id),
                    "computed_at": now,
                },
            )
            CategoryPriceRange.objects.filter(category_id=category_id).delete()
            CategoryPriceRange.objects.bulk_create(
                CategoryPriceRange(category_id=category_id, currency=currency, **values)
                for currency, values in category_price_ranges_from_scratch(
                    category_id=category_id
                ).items()
            )
        result += RecomputeResult(categories=1)
    return result
