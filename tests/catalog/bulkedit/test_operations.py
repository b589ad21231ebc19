from decimal import Decimal

import pytest

from catalog.bulkedit.operations import (
    PRICE_AMOUNT,
    PRICE_PERCENT,
    PRICE_ROUND,
    Operation,
    new_price,
)


@pytest.mark.parametrize(
    ("price", "percent", "after"),
    [
        ("19.99", "10", "21.99"),  # 21.989
        ("10.00", "-15", "8.50"),
        ("0.05", "10", "0.06"),  # 0.055: half-up, not half-even
        ("0.25", "10", "0.28"),  # 0.275
        ("19.99", "-100", "0.00"),
        ("10.00", "7.5", "10.75"),
    ],
)
def test_a_percent_is_rounded_half_up_to_cents(price, percent, after):
    assert new_price(Decimal(price), [Operation(PRICE_PERCENT, percent)]) == Decimal(after)


@pytest.mark.parametrize(
    ("price", "after"), [("21.40", "20.99"), ("21.60", "21.99"), ("0.30", "0.99"), ("0", "0.00")]
)
def test_rounding_to_99_takes_the_nearest_price_ending_in_99(price, after):
    operations = [Operation(PRICE_AMOUNT, "0"), Operation(PRICE_ROUND, ".99")]
    assert new_price(Decimal(price), operations) == Decimal(after)


def test_operations_read_in_plain_words():
    assert Operation(PRICE_PERCENT, "10").words() == "price +10%"
    assert Operation(PRICE_PERCENT, "-5").words() == "price -5%"
    assert Operation("status", "published").words() == "status Published"
