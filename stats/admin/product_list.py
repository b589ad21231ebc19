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

Cost at 100,000 products: each filter is one more condition on the list's own queries
(the page's ids and the count); nothing here adds a query. The filters read no index,
on measurement (``bench/README.md``): an index made the rare choices faster (low stock:
the page's ids in 10 ms instead of 90) but MariaDB then took it for the common ones too,
reading most of the table through it and sorting (in stock, below 100 %: 400-500 ms
instead of 20). Without one, the page's ids come off the update-time index until 50
match, and the count reads the join up to its threshold (``catalog.admin.counting``).

The two sorts do have indexes (``stats_completeness_product``, ``stats_stock_product``,
issue #27): sorted, the list reads its pages off them by key
(``catalog.admin.keyset.KeysetNullsLast``) instead of sorting the catalog. So that the
completeness filter keeps off its index where most products match, its condition is
``completeness + 0 < n``; a choice that at most the exact-count threshold of products
match (asked of the index first) is read through it.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Count, F, Q, QuerySet
from django.db.models.lookups import LessThan
from django.http import HttpRequest

from catalog.admin.counting import exact_count_threshold
from catalog.admin.keyset import KeysetNullsLast
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
        """As many statistics rows as the products the choice keeps (the list's count
        reads them when this filter is its only condition: ``catalog.admin.hooks``).

        Every statistics row has its product, so the numbers are equal; "not computed
        yet" (products without a row) has no such count.
        """
        value = self.value()
        if value is None or value == NOT_COMPUTED:
            return None
        condition = self.statistics_condition(value)
        return None if condition is None else ProductStats.objects.filter(condition)

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
        # the one in force when they were computed.
        return Q(stats__stock_status=value)

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
        if _few_below(int(value)):
            # Few enough to read them all through the index and sort them (the
            # count and the page in a few ms), where the update-time index would be
            # walked a long way for each page and the count read the whole join.
            return queryset.filter(stats__completeness__lt=int(value))
        return super().queryset(request, queryset)


def _few_below(completeness: int) -> bool:
    """Whether at most the list's exact-count threshold of products are below ``completeness``.

    Asked of the completeness index, reading at most that many entries plus one.
    """
    limit = exact_count_threshold()
    below = ProductStats.objects.filter(completeness__lt=completeness).order_by().values("pk")
    return below[: limit + 1].count() <= limit
