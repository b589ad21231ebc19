"""A category refresh reads the products of the categories that changed, and rolls the rest
up from each category's own figures (CategoryDirectStats)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from catalog.models import Product, Variant
from stats.models import CategoryDirectStats, CategoryStats
from stats.recompute.categories import category_stats_recompute, category_stats_recompute_all
from testkit.checks import category_statistics_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(category_factory, product_factory, variant_factory):
    """A root with two leaves, two products in each leaf, every figure computed."""
    root = category_factory()
    left, right = category_factory(parent=root), category_factory(parent=root)
    for leaf, price in ((left, "5.00"), (right, "50.00")):
        for stock in (1, 2):
            product = product_factory(category=leaf, status=Product.Status.PUBLISHED)
            variant_factory(product=product, price=Decimal(price), stock=stock)
    category_stats_recompute_all()
    return root, left, right


def _product_reads(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "catalog_product" in q["sql"] and "GROUP BY" in q["sql"]
    ]


def test_a_refresh_reads_only_the_changed_categorys_products(tree):
    root, left, right = tree
    Variant.objects.filter(product__category=left).update(stock=F("stock") + 10)

    with CaptureQueriesContext(connection) as queries:
        category_stats_recompute(category_ids=[left.pk])

    reads = _product_reads(queries)
    assert reads and all(str(left.pk) in sql and str(right.pk) not in sql for sql in reads)
    assert CategoryStats.objects.get(pk=root.pk).total_stock == 26  # 1+2+10+10 + 1+2
    assert category_statistics_errors() == []


def test_a_category_without_its_own_figures_yet_is_computed_in_the_refresh(tree):
    root, left, right = tree
    CategoryDirectStats.objects.all().delete()  # as right after the migration

    category_stats_recompute(category_ids=[left.pk])

    assert set(CategoryDirectStats.objects.values_list("category_id", flat=True)) == {
        root.pk,
        left.pk,
        right.pk,
    }
    assert category_statistics_errors() == []


def test_the_prices_of_unchanged_categories_roll_up_from_their_rows(tree):
    root, left, right = tree
    low, high = CategoryDirectStats.objects.get(pk=right.pk).prices["EUR"]
    assert Decimal(low) == Decimal(high) == Decimal("50.00")
    Variant.objects.filter(product__category=left).update(price=Decimal("0.99"))

    category_stats_recompute(category_ids=[left.pk])

    ranges = {r.currency: (r.price_min, r.price_max) for r in root.price_ranges.all()}
    assert ranges == {"EUR": (Decimal("0.99"), Decimal("50.00"))}
    assert category_statistics_errors() == []


def test_recompute_all_rewrites_a_row_a_write_without_a_mark_left_behind(tree):
    _root, left, right = tree
    Variant.objects.filter(product__category=right).update(stock=0)  # nothing marked

    category_stats_recompute(category_ids=[left.pk])
    assert category_statistics_errors() != []  # right's own figures are from before the update

    category_stats_recompute_all()
    assert category_statistics_errors() == []
    assert CategoryDirectStats.objects.get(pk=right.pk).total_stock == 0
