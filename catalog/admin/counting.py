"""How many products the list shows: exact up to a threshold, estimated beyond it.

An exact ``COUNT(*)`` reads every matching row: 92 ms for the whole list at 1,000,000
products, 0.9 s for a common name word, on every page view. The list instead counts
at most ``CATALOG_LIST_EXACT_COUNT_UP_TO`` + 1 rows (``COUNT(*)`` over a ``LIMIT``: a
cost bounded by the threshold, whatever the catalog's size). Up to the threshold the
editor sees the exact number; beyond it "about 1,000,000 products", the database's own
estimate of the query's rows (``EXPLAIN``: index statistics, no rows read), or "more
than 10,000 products" where the estimate says no more than that (a full-text search
estimates 1 row). "Count exactly" (``?_count=exact``) runs the exact count on demand,
and then numbered pages go all the way to the last.
"""

import math
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet

#: The query parameter of "count exactly".
EXACT = "_count"
EXACT_VALUE = "exact"


def exact_count_threshold() -> int:
    return settings.CATALOG_LIST_EXACT_COUNT_UP_TO


class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` + 1 rows; numbered pages stop at ``cap`` rows when capped."""

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        *,
        cap: int | None,
        counted: QuerySet | None = None,
        known_estimate: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        #: An estimate made without counting (a common word's share of the catalog):
        #: when it is at least twice the threshold, nothing is counted.
        self.known_estimate = known_estimate
        #: The same rows as the count reads them from an index, where the page reads
        #: them another way (a common search word: ``catalog.search.Found``; a filter's
        #: ``counted()``), in the order to count them.
        self.counted = counted

    @cached_property
    def count(self) -> int:
        queryset: QuerySet = self.object_list if self.counted is None else self.counted  # type: ignore[assignment]
        if self.cap is None:
            return queryset.count()
        if self.known_estimate is not None and self.known_estimate >= 2 * self.cap:
            return self.cap + 1
        if self.counted is None:
            # The list's own order costs the count nothing but time.
            queryset = queryset.order_by()
        # The ids alone: the list's annotations (the variant count's subquery) would
        # otherwise be evaluated for every row counted. ``counted`` keeps its order:
        # the rows most likely to match first (stats' "not computed yet": newest first).
        return queryset.values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted."""
        return self.cap is not None and self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        if self.capped:
            assert self.cap is not None
            return max(1, self.cap // self.per_page)
        return super().num_pages


def estimated_count(queryset: QuerySet) -> int | None:
    """The database's estimate of the rows ``queryset`` matches (MariaDB/MySQL), else None.

    The estimate of the query's first table (the products): rows x filtered %.
    """
    if connection.vendor != "mysql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        columns = [c[0] for c in cursor.description]
        plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    table = queryset.model._meta.db_table
    for step in plan:
        if step.get("table") == table and step.get("rows"):
            return int(int(step["rows"]) * float(step.get("filtered") or 100) / 100)
    return None


def rounded(number: int) -> int:
    """Two significant figures: an estimate does not pretend to more."""
    if number < 100:
        return number
    scale = 10 ** (int(math.log10(number)) - 1)
    return round(number / scale) * scale
