from decimal import Decimal

import pytest

from stats.figures import completeness, price_average, stock_status


@pytest.mark.parametrize(
    ("total_stock", "status"), [(0, "out"), (1, "low"), (5, "low"), (6, "in"), (500, "in")]
)
def test_stock_status_uses_the_default_threshold_of_five(settings, total_stock, status):
    del settings.STATS_LOW_STOCK_THRESHOLD  # the default applies when the setting is absent
    assert stock_status(total_stock=total_stock) == status


def test_stock_status_follows_the_setting(settings):
    settings.STATS_LOW_STOCK_THRESHOLD = 0
    assert stock_status(total_stock=1) == "in"


@pytest.mark.parametrize(
    ("length", "points"), [(0, 0), (4, 0), (5, 1), (100, 20), (199, 39), (200, 40), (5000, 40)]
)
def test_description_earns_up_to_forty_points(length, points):
    score = completeness(
        description_length=length,
        has_category=False,
        variant_count=0,
        unlabelled_variant_count=0,
        published=False,
    )
    assert score == points


def test_a_complete_product_scores_one_hundred():
    score = completeness(
        description_length=200,
        has_category=True,
        variant_count=3,
        unlabelled_variant_count=0,
        published=True,
    )
    assert score == 100


def test_an_unlabelled_variant_costs_ten_points():
    score = completeness(
        description_length=200,
        has_category=True,
        variant_count=3,
        unlabelled_variant_count=1,
        published=True,
    )
    assert score == 90


def test_labels_earn_nothing_without_variants():
    score = completeness(
        description_length=0,
        has_category=True,
        variant_count=0,
        unlabelled_variant_count=0,
        published=True,
    )
    assert score == 30


def test_price_average_rounds_half_up_to_the_cent():
    assert price_average(price_sum=Decimal("20.01"), variant_count=2) == Decimal("10.01")
    assert price_average(price_sum=Decimal("10"), variant_count=3) == Decimal("3.33")
    assert price_average(price_sum=None, variant_count=0) is None


def test_no_price_average_without_a_sum_or_without_variants():
    assert price_average(price_sum=None, variant_count=2) is None
    assert price_average(price_sum=Decimal("10"), variant_count=0) is None


def test_one_variant_is_enough_for_the_variant_and_label_points():
    bare = {"description_length": 0, "has_category": False, "published": False}

    assert completeness(**bare, variant_count=1, unlabelled_variant_count=0) == 30
    assert completeness(**bare, variant_count=1, unlabelled_variant_count=1) == 20
