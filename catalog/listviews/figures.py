"""The price range and total stock of a page of products, in one query.

The product list reads a page's ids first (``catalog.admin.changelist``); these figures
are read for those ids only, grouped by product and currency, so a page costs one more
query whatever the catalog's size. An annotation over the list's queryset instead would
group every matching variant before the page is cut (the variant count's lesson:
``catalog.admin.product``). The columns do not sort for the same reason.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Min, Sum

from catalog.models import Variant

#: How each currency is written before a price.
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
#: Between the lowest and the highest price (an en dash, as editors write a range).
RANGE_DASH = " \u2013 "


@dataclass
class PriceRange:
    currency: str
    low: Decimal
    high: Decimal

    def __str__(self) -> str:
        low, high = money(self.low, self.currency), money(self.high, self.currency)
        return low if self.low == self.high else f"{low}{RANGE_DASH}{high}"


@dataclass
class ProductFigures:
    """One product's variants summed up: price ranges (one per currency) and stock."""

    prices: list[PriceRange] = field(default_factory=list)
    total_stock: int = 0

    def price_text(self) -> str:
        # One currency per product is the rule; older data may still hold two: each
        # currency's range is shown, never one range across them.
        return "; ".join(str(p) for p in self.prices) or "-"


def money(amount: Decimal, currency: str) -> str:
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{currency} {amount:,.2f}"


def product_figures(product_ids: Iterable[int]) -> dict[int, ProductFigures]:
    """Each product's figures (products without variants: no prices, stock 0)."""
    ids = list(product_ids)
    figures = {pk: ProductFigures() for pk in ids}
    if not ids:
        return figures
    rows = (
        Variant.objects.filter(product_id__in=ids)
        .order_by()
        .values("product_id", "currency")
        .annotate(low=Min("price"), high=Max("price"), stock=Sum("stock"))
        .order_by("product_id", "currency")
    )
    for row in rows:
        one = figures[row["product_id"]]
        one.prices.append(PriceRange(row["currency"], row["low"], row["high"]))
        one.total_stock += int(row["stock"] or 0)
    return figures
