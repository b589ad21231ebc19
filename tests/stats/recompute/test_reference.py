from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product
from stats.models import ProductStaleness
from stats.recompute.marks import product_stats_mark_stale
from stats.recompute.selectors import stale_products
from testkit.reference import (
    category_price_ranges_from_scratch,
    category_stats_from_scratch,
    product_stats_from_scratch,
)

pytestmark = pytest.mark.django_db


def test_from_scratch_figures_of_a_product(product_factory, variant_factory):
    product = product_factory(description="z" * 100, status=Product.Status.PUBLISHED)
    variant_factory(product=product, price=Decimal("3.00"), stock=1)
    variant_factory(product=product, price=Decimal("4.00"), stock=2, size="", colour="")

    figures, version = product_stats_from_scratch(product_id=product.pk)

    assert version == product.version
    assert figures == {
        "category_id": product.category_id,
        "variant_count": 2,
        "currency": "EUR",
        "price_min": Decimal("3.00"),
        "price_max": Decimal("4.00"),
        "price_avg": Decimal("3.50"),
        "total_stock": 3,
        "stock_status": "low",
        # 20 (half the description) + 20 category + 20 variants + 10 published;
        # one variant has neither size nor colour.
        "completeness": 70,
    }


def test_from_scratch_of_a_missing_product_is_none():
    assert product_stats_from_scratch(product_id=987654) is None


def test_from_scratch_category_figures_include_descendants(
    category_factory, product_factory, variant_factory
):
    root = category_factory()
    leaf = category_factory(parent=category_factory(parent=root))
    variant_factory(product=product_factory(category=leaf), price=Decimal("8.00"), stock=4)
    product_factory(category=root, status=Product.Status.PUBLISHED)

    assert category_stats_from_scratch(category_id=root.pk) == {
        "product_count": 2,
        "published_count": 1,
        "draft_count": 1,
        "total_stock": 4,
    }
    assert category_price_ranges_from_scratch(category_id=root.pk) == {
        "EUR": {"price_min": Decimal("8.00"), "price_max": Decimal("8.00")}
    }


def test_stale_products_lists_the_longest_waiting_first(product_factory):
    old, older, fresh = product_factory.create_batch(3)
    product_stats_mark_stale(product_ids=[old.pk, older.pk, fresh.pk])
    now = timezone.now()
    ProductStaleness.objects.filter(pk=old.pk).update(stale_since=now - timedelta(minutes=20))
    ProductStaleness.objects.filter(pk=older.pk).update(stale_since=now - timedelta(hours=2))

    assert stale_products(older_than=timedelta(minutes=10), limit=10) == [older.pk, old.pk]
    assert stale_products(older_than=timedelta(minutes=10), limit=1) == [older.pk]
    assert stale_products(older_than=timedelta(days=1), limit=10) == []
