"""Stock status and completeness on the product list: sort orders and filters.

The two questions an editor asks of the statistics: what is out of stock or running
low, and which pages are thin. ``catalog_pages`` adds these to the catalog's product
list through ``catalog.admin.hooks``.

A product that has no statistics yet (a new product before its first recompute) has no
``ProductStats`` row: it is unknown, not "out of stock" nor "0 %". So it sorts **after**
every computed product in both directions, matches none of the stock or completeness
choices, and is listed by the "Not computed yet" choice of either filter.

An unknown value in the address (edited by hand) gets the admin's usual answer to a bad
filter: a redirect to the whole list (``?e=1``).

Cost: each filter is one more condition on the list's own queries (the page's ids);
alone, a filter is counted on its own rows (``counted``: the statistics off their
index, 3 ms where counting the product join took 610-660 ms at 1,000,000 products).
The page's ids come off the update-time index until 50 match: an index on a condition
most products share makes MariaDB read most of the table through it and sort (in
stock, below 100 %: 400-500 ms instead of 20 at 100,000), and even a rare status read
through its index costs a product row per match (low stock at 1,000,000: 0.8 s against
0.2 s), so the stock condition is spelled to keep off the status index
(``CONCAT(stock_status, '') = s``) and completeness off its own (``completeness + 0 <
n``), except where at most the exact-count threshold of products are below the chosen
completeness (asked of the index first, ``_few``): those are read through it.

The two sorts do have indexes (``stats_completeness_product``, ``stats_stock_product``,
issue #27): sorted, the list reads its pages off them by key
(``catalog.admin.keyset.KeysetNullsLast``) instead of sorting the catalog.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.db.models.lookups import Exact, LessThan
from django.http import HttpRequest

from catalog.admin.counting import exact_count_threshold
from catalog.admin.keyset import KeysetNullsLast
from catalog.models import Product
from stats.figures import low_stock_threshold
from stats.recompute.models import ProductStats

#: The choice of either filter that lists the products without statistics.
NOT_COMPUTED = "none"
#: "Completeness below": the choices, in percent.
COMPLETENESS_THRESHOLDS: tuple[int, ...] = (50, 80, 100)


#: Stock status sorts by total stock: out (0), then low, then in stock, and the
#: emptiest first within each; by key off the ``stats_stock_product`` index, as
#: completeness below.
STOCK_ORDERING = KeysetNullsLast("stats__total_stock", tiebreak="stats__product_id")
#: Completeness pages by key off the ``stats_completeness_product`` index (products
#: with statistics in completeness order, the newest first among equals; then those
#: without, newest first), never sorting the whole catalog: 6.96 s at 1,000,000
#: products sorted the LEFT JOIN of every product (issue #27).
COMPLETENESS_ORDERING = KeysetNullsLast("stats__completeness", tiebreak="stats__product_id")


class _StatisticsFilter(admin.SimpleListFilter):
    """A filter whose every choice is one condition on the product's statistics."""

    def condition(self, value: str) -> Q:
        """The condition of the choice ``value``; an unknown value is a bad lookup."""
        raise NotImplementedError

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        value = self.value()
        if value is None:
            return None
        return queryset.filter(self.condition(value))

    def statistics_condition(self, value: str) -> Q | None:
        """The choice as a condition on ``ProductStats`` itself (None: not one)."""
        raise NotImplementedError

    def counted(self) -> QuerySet[Any] | None:
        """As many rows as the products the choice keeps, in the order to count them (the
        list's count reads them when this filter is its only condition: ``catalog.admin.hooks``).

        A status or completeness: the statistics rows, off their index (every row has
        its product, so the numbers are equal). "Not computed yet": the products without
        a row, newest first, where they are (new products wait for their first
        recompute): the count stops after its threshold + 1 instead of walking the
        catalog from its oldest product (4.2 s at 1,000,000 products, 50,000 new).
        """
        value = self.value()
        if value is None:
            return None
        if value == NOT_COMPUTED:
            return Product.objects.filter(stats__isnull=True).order_by("-pk")
        condition = self.statistics_condition(value)
        return None if condition is None else ProductStats.objects.filter(condition).order_by()

    def get_facet_counts(self, pk_attname: str, filtered_qs: QuerySet[Any]) -> dict[str, Any]:
        # "Show counts": Django's default counts ``pk IN (filtered subquery)`` per choice,
        # 1.8 s at 100,000 products; conditional counts over the one join read each row once.
        return {
            f"{i}__c": Count(pk_attname, filter=self.condition(str(value)))
            for i, (value, _) in enumerate(self.lookup_choices)
        }


class StockStatusFilter(_StatisticsFilter):
    title = "stock status"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        threshold = low_stock_threshold()
        return [
            (ProductStats.StockStatus.OUT, "Out of stock"),
            (ProductStats.StockStatus.LOW, f"Low stock (1 to {threshold})"),
            (ProductStats.StockStatus.IN, "In stock"),
            (NOT_COMPUTED, "Not computed yet"),
        ]

    def condition(self, value: str) -> Q:
        if value == NOT_COMPUTED:
            return Q(stats__isnull=True)
        if value not in ProductStats.StockStatus.values:
            raise IncorrectLookupParameters(f"stock={value!r}")
        # The status stored with the figures, as the column shows it: the threshold is
        # the one in force when they were computed. Spelled so that MariaDB cannot read
        # it from the status index (the count's): through it, every product with the
        # status is read by key for its update time and sorted (low stock at 1,000,000:
        # 4,251 product rows, 0.8-0.9 s with a cold buffer pool), where the update-time
        # index walked until 50 match takes 0.2 s even for a status of 0.4 %.
        return Q(Exact(Concat(F("stats__stock_status"), Value("")), value))

    def statistics_condition(self, value: str) -> Q | None:
        self.condition(value)  # a bad value is a bad lookup
        return Q(stock_status=value)


class CompletenessFilter(_StatisticsFilter):
    title = "completeness"
    parameter_name = "completeness_below"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            *((str(t), f"Below {t} %") for t in COMPLETENESS_THRESHOLDS),
            (NOT_COMPUTED, "Not computed yet"),
        ]

    def condition(self, value: str) -> Q:
        if value == NOT_COMPUTED:
            return Q(stats__isnull=True)
        if value not in {str(t) for t in COMPLETENESS_THRESHOLDS}:
            raise IncorrectLookupParameters(f"completeness_below={value!r}")
        # "+ 0": a condition MariaDB cannot read from the completeness index (kept for the
        # sort). Read through it, "below 100 %" (three products in four) took every
        # matching row and sorted them (0.45 s at 200,000); without, the page's ids come
        # off the update-time index until 50 match. ``queryset`` lets a rare choice use it.
        return Q(LessThan(F("stats__completeness") + 0, int(value)))

    def statistics_condition(self, value: str) -> Q | None:
        self.condition(value)  # a bad value is a bad lookup
        # Off the completeness index: the count reads at most its threshold + 1 entries.
        return Q(completeness__lt=int(value))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        value = self.value()
        if value is None or value == NOT_COMPUTED:
            return super().queryset(request, queryset)
        self.condition(value)  # a bad value is a bad lookup
        if _few(ProductStats.objects.filter(completeness__lt=int(value))):
            # Few enough to read them all through the index and sort them (the
            # count and the page in a few ms), where the update-time index would be
            # walked a long way for each page and the count read the whole join.
            return queryset.filter(stats__completeness__lt=int(value))
        return super().queryset(request, queryset)


def _few(statistics: QuerySet[ProductStats]) -> bool:
    """Whether at most the list's exact-count threshold of products are in ``statistics``.

    Asked of the condition's index, reading at most that many entries plus one.
    """
    limit = exact_count_threshold()
    return statistics.order_by().values("pk")[: limit + 1].count() <= limit
