"""The product list at a million products: its search, its count and its deep pages.

``ProductAdmin`` takes these from ``ProductListMixin`` (one place to read what the list
does beyond Django's): the search reads a term as a SKU prefix or name words, each from
an index (``catalog.search``); the count is exact up to a threshold and estimated beyond
(``catalog.admin.counting``); the default order pages by key (``catalog.admin.keyset``),
as does a column whose ordering says so (stats' completeness). The figures at 200,000
products are in ``bench/README.md`` (``bench/scale.py``).
"""

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from catalog.admin.changelist import IdsFirstChangeList
from catalog.admin.counting import (
    EXACT,
    EXACT_VALUE,
    CappedCountPaginator,
    estimated_count,
    exact_count_threshold,
)
from catalog.admin.keyset import Segment
from catalog.search import Found, product_search


class ProductChangeList(IdsFirstChangeList):
    # Meta.ordering ("-updated_at", "-id"), off the product_updated index.
    keyset_default = (Segment(Q(), (("updated_at", True), ("id", True))),)

    def get_results(self, request: HttpRequest) -> None:
        # Read by get_paginator (called by Django's get_results, below).
        request._counted_by_filter = self.counted_by_filter()  # type: ignore[attr-defined]
        super().get_results(request)

    def counted_by_filter(self) -> QuerySet | None:
        """The rows the count reads instead of the list's, when one filter alone decides.

        A filter on another table (stats' stock status and completeness) names the
        same number of rows in that table, read from its index (``counted()``, see
        ``catalog.admin.hooks``); counting the list's own join instead read 10,001
        rows of the product table (610-660 ms at 1,000,000 products, 3 ms asked of the
        statistics). Only when that filter is the list's one condition: no search, no
        other filter, no other lookup in the address.
        """
        if self.query:
            return None
        active = [spec for spec in self.filter_specs if spec.used_parameters]
        if len(active) != 1 or not hasattr(active[0], "counted"):
            return None
        if set(self.get_filters_params()) != set(active[0].used_parameters):
            return None
        counted: QuerySet | None = active[0].counted()
        return counted


class ProductListMixin:
    """Search, count and paging of the product list (a ``ModelAdmin`` mixin)."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # The union of the two readings is a condition on the product itself: no
        # duplicates to remove.
        found = product_search(queryset, search_term)
        # Read by get_paginator (called later in the same request): the rows found,
        # as the count reads them from an index (catalog.search.Found).
        request._search_found = found  # type: ignore[attr-defined]
        return found.rows, False

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> CappedCountPaginator:
        exact = request.GET.get(EXACT) == EXACT_VALUE
        found: Found | None = getattr(request, "_search_found", None)
        by_filter: QuerySet | None = getattr(request, "_counted_by_filter", None)
        known = None
        if found is not None and found.share and not exact:
            # Common words over the whole catalog: their share of it, when that is
            # surely beyond the threshold, instead of counting.
            catalog = estimated_count(self.model._default_manager.all())  # type: ignore[attr-defined]
            known = round(found.share * catalog) if catalog else None
        return CappedCountPaginator(
            queryset,
            per_page,
            cap=None if exact else exact_count_threshold(),
            counted=by_filter if by_filter is not None else self._search_counted(found),
            known_estimate=known,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
        )

    @staticmethod
    def _search_counted(found: Found | None) -> QuerySet | None:
        # The search's rows carry the list's order: of no use to a count.
        return found.counted.order_by() if found is not None else None
