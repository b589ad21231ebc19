"""Shared by the worker tests and the soak: editor saves; stored vs from-scratch statistics."""

import random
from decimal import Decimal

from django.db.models import F, Q

from catalog.models import Category, Product
from stats.figures import CATEGORY_FIGURES, CATEGORY_PRICE_FIGURES, PRODUCT_FIGURES
from stats.models import (
    CategoryPriceRange,
    CategoryStaleness,
    CategoryStats,
    ProductStaleness,
    ProductStats,
)
from testkit.reference import (
    category_price_ranges_from_scratch,
    category_stats_from_scratch,
    product_stats_from_scratch,
)


def category_price_ranges(*, category_id: int) -> dict[str, dict[str, Decimal]]:
    """A category's stored price ranges: per currency, ``CATEGORY_PRICE_FIGURES`` (what
    ``testkit.reference.category_price_ranges_from_scratch`` computes from the catalog)."""
    rows = CategoryPriceRange.objects.filter(category_id=category_id).order_by("currency")
    return {
        row.currency: {name: getattr(row, name) for name in CATEGORY_PRICE_FIGURES} for row in rows
    }


def statistics_current() -> bool:
    """Nothing stale and every product's statistics computed from its current version
    (cheap: the benchmarks poll it, then compare with ``statistics_errors`` once)."""
    if ProductStaleness.objects.exists() or CategoryStaleness.objects.exists():
        return False
    behind = Product.objects.filter(
        Q(stats__isnull=True) | ~Q(stats__computed_version=F("version"))
    )
    return not behind.exists()


def statistics_errors(*, sample: int | None = None) -> list[str]:
    """Every product or category whose stored figures differ from the reference.

    ``sample``: check that many products, drawn at random, and every category (a
    benchmark's million rows would take many minutes product by product)."""
    errors = []
    product_ids = list(Product.objects.values_list("id", flat=True))
    if sample is not None and sample < len(product_ids):
        product_ids = random.sample(product_ids, sample)
    stats = ProductStats.objects.filter(product_id__in=product_ids) if sample else None
    stored = {s.product_id: s for s in (stats if stats is not None else ProductStats.objects.all())}
    for product_id in product_ids:
        expected, version = product_stats_from_scratch(product_id=product_id)
        row = stored.get(product_id)
        if row is None:
            errors.append(f"product {product_id}: no statistics")
            continue
        got = {name: getattr(row, name) for name in PRODUCT_FIGURES}
        if got != dict(expected) or row.computed_version != version:
            errors.append(
                f"product {product_id}: {got} (v{row.computed_version}) != {expected} (v{version})"
            )
    return errors + category_statistics_errors()


def category_statistics_errors() -> list[str]:
    """Every category whose stored figures or price ranges differ from the reference."""
    errors = []
    stored_categories = {s.category_id: s for s in CategoryStats.objects.all()}
    for category_id in Category.objects.values_list("id", flat=True):
        expected = category_stats_from_scratch(category_id=category_id)
        row = stored_categories.get(category_id)
        got = {name: getattr(row, name) for name in CATEGORY_FIGURES} if row else None
        if got != dict(expected):
            errors.append(f"category {category_id}: {got} != {expected}")
        ranges = category_price_ranges(category_id=category_id)
        expected_ranges = category_price_ranges_from_scratch(category_id=category_id)
        if ranges != expected_ranges:
            errors.append(f"category {category_id} prices: {ranges} != {expected_ranges}")
    return errors


def all_statistics_correct() -> bool:
    return not statistics_errors() and not ProductStaleness.objects.exists()


def save_variants(products, times: int) -> None:
    """``times`` editor saves, round robin over ``products``: each one request on the queue."""
    for index in range(times):
        variant = products[index % len(products)].variants.first()
        variant.stock = index + 1
        variant.save()  # one transaction: one editor save, one request
