"""No figure combines two currencies: products, categories, the loop baseline, the backfill."""

import logging
from decimal import Decimal

import pytest
from django.apps import apps

from catalog.services import product_versions_bump
from stats.figures import CATEGORY_FIGURES, PRODUCT_FIGURES
from stats.formatting import format_product_prices
from stats.models import CategoryPriceRange, CategoryStaleness, CategoryStats, ProductStats
from stats.recompute.categories import category_stats_recompute_all
from stats.recompute.currency import stats_currency_backfill
from stats.recompute.products import product_stats_recompute
from testkit.checks import category_price_ranges
from testkit.reference import (
    category_price_ranges_from_scratch,
    category_stats_from_scratch,
    product_stats_from_scratch,
    product_stats_recompute_loop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(product_factory, variant_factory, category_factory):
    """A subtree holding EUR, USD and GBP products, and one mixed from before the rule."""
    root = category_factory()
    left, right = category_factory(parent=root), category_factory(parent=root)

    def _prices(product, currency: str, *prices: str) -> None:
        for price in prices:
            variant_factory(product=product, currency=currency, price=Decimal(price))

    products = {
        "eur": product_factory(category=left),
        "usd": product_factory(category=left),
        "gbp": product_factory(category=right),
        "mixed": product_factory(category=right),
    }
    _prices(products["eur"], "EUR", "13.53", "497.55", "11.11")
    _prices(products["usd"], "USD", "20.00", "5.00")
    _prices(products["gbp"], "GBP", "700.00")
    _prices(products["mixed"], "EUR", "1.00")
    _prices(products["mixed"], "USD", "900.00")
    return root, left, right, products


def _stored(product_id: int) -> dict:
    stats = ProductStats.objects.get(product_id=product_id)
    return {name: getattr(stats, name) for name in PRODUCT_FIGURES}


def test_product_figures_carry_their_one_currency(shop):
    *_, products = shop
    product_stats_recompute(product_ids=[p.pk for p in products.values()])

    usd = ProductStats.objects.get(product=products["usd"])
    assert (usd.currency, usd.price_min, usd.price_max, usd.price_avg) == (
        "USD",
        Decimal("5.00"),
        Decimal("20.00"),
        Decimal("12.50"),
    )
    assert format_product_prices(ProductStats.objects.get(product=products["eur"])) == (
        "EUR 11.11 - 497.55 (average 174.06)"
    )
    for product in products.values():
        assert _stored(product.pk) == product_stats_from_scratch(product_id=product.pk)[0]


def test_a_product_with_mixed_currencies_has_no_price_figures(shop):
    *_, products = shop
    product_stats_recompute(product_ids=[products["mixed"].pk])

    stats = ProductStats.objects.get(product=products["mixed"])
    assert (stats.currency, stats.price_min, stats.price_max, stats.price_avg) == (
        "",
        None,
        None,
        None,
    )
    assert (stats.variant_count, stats.total_stock) == (2, 20)  # the rest is still counted
    assert "several currencies" in format_product_prices(stats)
    assert (
        _stored(products["mixed"].pk)
        == product_stats_from_scratch(product_id=products["mixed"].pk)[0]
    )


def test_a_category_has_one_price_range_per_currency(shop):
    root, left, right, products = shop
    product_stats_recompute(product_ids=[p.pk for p in products.values()])

    assert category_price_ranges(category_id=root.pk) == {
        "EUR": {"price_min": Decimal("1.00"), "price_max": Decimal("497.55")},
        "GBP": {"price_min": Decimal("700.00"), "price_max": Decimal("700.00")},
        "USD": {"price_min": Decimal("5.00"), "price_max": Decimal("900.00")},
    }
    for category in (root, left, right):
        assert category_price_ranges(category_id=category.pk) == (
            category_price_ranges_from_scratch(category_id=category.pk)
        )
    assert set(category_price_ranges(category_id=left.pk)) == {"EUR", "USD"}
    assert CategoryStats.objects.get(category=root).total_stock == 80  # 8 variants of 10


def test_a_currency_that_leaves_a_category_leaves_its_range(shop):
    root, _, right, products = shop
    product_stats_recompute(product_ids=[p.pk for p in products.values()])

    products["gbp"].variants.all().delete()
    product_versions_bump(product_ids=[products["gbp"].pk])
    product_stats_recompute(product_ids=[products["gbp"].pk])

    assert "GBP" not in category_price_ranges(category_id=root.pk)
    assert not CategoryPriceRange.objects.filter(category=right, currency="GBP").exists()
    assert category_price_ranges(category_id=root.pk) == (
        category_price_ranges_from_scratch(category_id=root.pk)
    )


def test_recompute_all_and_the_loop_baseline_give_the_reference_ranges(shop, category_factory):
    root, left, right, products = shop
    empty = category_factory()

    category_stats_recompute_all()
    every = {c.pk: category_price_ranges(category_id=c.pk) for c in (root, left, right, empty)}
    assert every[empty.pk] == {}
    for category_id, ranges in every.items():
        assert ranges == category_price_ranges_from_scratch(category_id=category_id)
        assert {
            name: getattr(CategoryStats.objects.get(pk=category_id), name)
            for name in CATEGORY_FIGURES
        } == category_stats_from_scratch(category_id=category_id)

    CategoryPriceRange.objects.all().delete()
    product_stats_recompute_loop(product_ids=[p.pk for p in products.values()])
    for category in (root, left, right):
        assert category_price_ranges(category_id=category.pk) == every[category.pk]


def test_the_backfill_sets_currencies_and_empties_mixed_prices_without_touching_the_catalog(
    shop, caplog
):
    root, _, _, products = shop
    product_stats_recompute(product_ids=[p.pk for p in products.values()])
    # Figures as the old recompute stored them: no currency, the mixed product's range
    # spanning EUR and USD.
    ProductStats.objects.update(currency="")
    ProductStats.objects.filter(product=products["mixed"]).update(
        price_min=Decimal("1.00"), price_max=Decimal("900.00"), price_avg=Decimal("450.50")
    )
    CategoryStaleness.objects.all().delete()
    variants_before = sorted(products["mixed"].variants.values_list("currency", "price"))

    with caplog.at_level(logging.WARNING, logger="stats.recompute.currency"):
        mixed = stats_currency_backfill(apps=apps)

    assert mixed == {products["mixed"].pk: ["EUR", "USD"]}
    for product in products.values():
        assert _stored(product.pk) == product_stats_from_scratch(product_id=product.pk)[0]
    assert ProductStats.objects.get(product=products["gbp"]).currency == "GBP"
    assert sorted(products["mixed"].variants.values_list("currency", "price")) == variants_before
    assert CategoryStaleness.objects.filter(category=root).exists()
    assert (
        products["mixed"].sku in caplog.text
        and "1 product has variants in several currencies" in caplog.text
    )
