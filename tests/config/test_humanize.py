from datetime import timedelta

import pytest

from config.humanize import human_duration, quantity


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 products"), (1, "1 product"), (2, "2 products"), (2000, "2,000 products")],
)
def test_quantity_says_one_product_and_many_products(count, expected):
    assert quantity(count, "product") == expected


def test_quantity_takes_an_irregular_plural():
    assert quantity(1, "category", "categories") == "1 category"
    assert quantity(31, "category", "categories") == "31 categories"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (252, "4 minutes 12 seconds"),
        (1, "1 second"),
        (0, "0 seconds"),
        (0.4, "0 seconds"),
        (45.6, "46 seconds"),
        (timedelta(hours=1, seconds=5), "1 hour"),  # an order of magnitude, not a stopwatch
        (timedelta(hours=1, minutes=1, seconds=30), "1 hour 1 minute"),
        (timedelta(days=2, hours=3, minutes=59), "2 days 3 hours"),
        (timedelta(days=1, minutes=5), "1 day"),
    ],
)
def test_human_duration_reads_as_words_with_at_most_two_units(value, expected):
    assert human_duration(value) == expected


def test_human_duration_of_nothing_is_empty_so_templates_can_fall_back():
    assert human_duration(None) == ""
