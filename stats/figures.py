"""Which figures the statistics hold and how a product's are derived.

``PRODUCT_FIGURES`` and ``CATEGORY_FIGURES`` are the one list of figure names: the
recompute writes them, the admin shows them, the tests compare them. Both the set-based
recompute (``stats.recompute``, aggregates in SQL) and the from-scratch reference the
tests check it against (``testkit.reference``, a slow loop over the ORM) feed the pure
functions below, so a difference between the two can only come from the aggregation,
never from two copies of a rule drifting apart.

Prices: a product's price figures are in its one currency (``catalog.rules``). A product
saved with several currencies before that rule has no price figures (currency and prices
empty) rather than a range or an average across currencies; a category has a range per
currency. No figure ever combines two currencies, because the catalog has no exchange rates.

Stock status (threshold: ``settings.STATS_LOW_STOCK_THRESHOLD``, 5 when unset):

=====================================  ======
Total stock over all variants          Status
=====================================  ======
0 (this includes "no variants")        out
1 to the threshold                     low
above the threshold                    in
=====================================  ======

Completeness, 0-100: how ready a product is to be sold, so editors can find thin pages.

=====================================================================  ======
Criterion                                                              Points
=====================================================================  ======
Description: 40 at 200 characters or more, proportionally fewer       0-40
(rounded down) below that
A category is set                                                      20
At least one variant                                                   20
Published                                                              10
Every variant has a size or a colour (needs at least one variant)      10
=====================================================================  ======
"""

from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from stats.recompute.models import ProductStats
from stats.recompute.sql import CENT

#: The computed columns of ``ProductStats`` (bookkeeping such as ``save_count`` aside),
#: in the order the recompute writes them.
PRODUCT_FIGURES: tuple[str, ...] = (
    "category_id",
    "variant_count",
    "currency",
    "price_min",
    "price_max",
    "price_avg",
    "total_stock",
    "stock_status",
    "completeness",
)
#: The price figures of a product, all in its ``currency`` (see ``product_price_figures``).
PRODUCT_PRICE_FIGURES: tuple[str, ...] = ("currency", "price_min", "price_max", "price_avg")
#: The computed columns of ``CategoryStats``, over a category's whole subtree. No price:
#: a subtree mixes currencies, so its prices are ``CATEGORY_PRICE_FIGURES`` per currency.
CATEGORY_FIGURES: tuple[str, ...] = (
    "product_count",
    "published_count",
    "draft_count",
    "total_stock",
)
#: The columns of ``CategoryPriceRange``: one row per category and currency, over the
#: prices of the subtree's variants in that currency only.
CATEGORY_PRICE_FIGURES: tuple[str, ...] = ("price_min", "price_max")

DESCRIPTION_FULL_LENGTH = 200


def low_stock_threshold() -> int:
    return getattr(settings, "STATS_LOW_STOCK_THRESHOLD", 5)


def stock_status(*, total_stock: int) -> str:
    if total_stock <= 0:
        return ProductStats.StockStatus.OUT
    if total_stock <= low_stock_threshold():
        return ProductStats.StockStatus.LOW
    return ProductStats.StockStatus.IN


def completeness(
    *,
    description_length: int,
    has_category: bool,
    variant_count: int,
    unlabelled_variant_count: int,
    published: bool,
) -> int:
    """Score a product from 0 to 100 (see the table in the module docstring).

    ``unlabelled_variant_count`` counts variants with neither a size nor a colour: such a
    variant cannot be told apart from its siblings in a shop.
    """
    score = min(40, 40 * description_length // DESCRIPTION_FULL_LENGTH)
    if has_category:
        score += 20
    if variant_count > 0:
        score += 20
        if unlabelled_variant_count == 0:
            score += 10
    if published:
        score += 10
    return score


def price_average(*, price_sum: Decimal | None, variant_count: int) -> Decimal | None:
    """The mean variant price, rounded half up to the cent.

    Computed from an exact sum rather than SQL ``AVG``: SQLite's ``AVG`` is a float and
    MariaDB's carries four extra digits, so the two would round a half cent differently.
    """
    if not variant_count or price_sum is None:
        return None
    return (Decimal(price_sum) / variant_count).quantize(CENT, rounding=ROUND_HALF_UP)


def product_price_figures(
    *,
    currencies: Collection[str],
    price_min: Decimal | None,
    price_max: Decimal | None,
    price_sum: Decimal | None,
    variant_count: int,
) -> dict[str, str | Decimal | None]:
    """``PRODUCT_PRICE_FIGURES`` from the aggregates over all of a product's variants.

    ``currencies`` are the variants' currencies (the distinct ones, or just the lowest and
    the highest). Unless there is exactly one, the aggregates mix currencies (or there
    are no variants), so every price figure is empty (the currency ``""``).
    """
    if len(set(currencies)) != 1:
        return {"currency": "", "price_min": None, "price_max": None, "price_avg": None}
    return {
        "currency": next(iter(currencies)),
        "price_min": price_min,
        "price_max": price_max,
        "price_avg": price_average(price_sum=price_sum, variant_count=variant_count),
    }
