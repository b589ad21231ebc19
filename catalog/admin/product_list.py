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
            counted=found.counted if found is not None else None,
            known_estimate=known,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
        )
