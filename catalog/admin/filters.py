"""The product list's category filter: a category means it and everything below it.

Editors file products under the leaves ("Jackets") and think in branches ("Clothing"):
Django's own filter on the foreign key matched the exact category only, so "Clothing"
listed none of its 366 products. This filter keeps Django's query parameters
(``category__id__exact``, ``category__isnull``: bookmarked lists keep working) and
changes what they mean: the chosen category's whole subtree, with each category's
product count (its subtree's) beside its name, in the tree's order.

It costs two queries whatever the catalog's size: the tree with its names, and one
GROUP BY of the products on the category foreign key's index (beyond the list's
exact-count threshold, kept for a minute between requests:
``catalog.selectors.catalog_category_counts``). The counts are over the whole catalog,
not narrowed by the other filters or the search, so they match the category statistics
and cost the same on every page.

A large subtree (more products than the list counts exactly, and at least one in 40 of
the catalog) is written to keep off the category index (``category_id + 0 IN ...``): the
page's ids then come off the list order's own index, checking each row, instead of
reading the whole subtree and sorting it (Clothing sorted by completeness at 1,000,000
products: 4.4 s before). Alone, the filter is counted off the category index
(``counted``, ``catalog.admin.hooks``).
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import build_q_object_from_lookup_parameters
from django.db.models import F, Model, Q, QuerySet
from django.db.models.lookups import In
from django.http import HttpRequest

from catalog.admin.counting import exact_count_threshold
from catalog.search import COMMON_ONE_IN
from catalog.selectors import (
    catalog_category_counts,
    category_names,
    category_outline,
    category_subtree_counts,
    category_subtrees,
)

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices

#: Indents a subcategory under its parent in the filter's list and drop-down (a plain
#: space would collapse in an HTML <option>).
INDENT = "\u2003"
NO_CATEGORY = "No category"


class CategorySubtreeFilter(admin.RelatedFieldListFilter):
    """``list_filter = [("category", CategorySubtreeFilter)]`` on the product admin."""

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        # Django passes lists of values (django-stubs still says str).
        params: Any,
        model: type[Model],
        model_admin: admin.ModelAdmin,
        field_path: str,
    ) -> None:
        # Read before Django's __init__, which calls field_choices().
        self.tree, names = category_names()
        self.outline = category_outline(self.tree, names)
        self._counts: dict[int | None, int] | None = None
        #: The chosen categories with everything below them (None: no category chosen).
        self._subtree: set[int] | None = None
        super().__init__(field, request, params, model, model_admin, field_path)

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[Any]:
        """(id, name) in the tree's order, from the rows read once in ``__init__``."""
        return [(entry.id, entry.name) for entry in self.outline]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Django keeps each parameter as a list of values (django-stubs: a single value).
        used: dict[str, Any] = dict(self.used_parameters)
        isnull = used.get(self.lookup_kwarg_isnull)
        if isnull is not None:
            queryset = queryset.filter(
                build_q_object_from_lookup_parameters({self.lookup_kwarg_isnull: isnull})
            )
        chosen = used.get(self.lookup_kwarg)
        if not chosen:
            return queryset
        try:
            roots = {int(value) for value in chosen}
        except (TypeError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc
        subtree = category_subtrees(roots & self.tree.keys(), self.tree)
        self._subtree = subtree
        if self._is_common(subtree):
            # "category_id + 0": a condition MariaDB cannot read from the category index.
            # Through it, Clothing sorted by completeness at 1,000,000 products read its
            # 190,182 products and sorted them (4.4 s); without, the page's ids come off
            # the order's own index, checking each row, about 40 rows per match at most.
            off_index = F(self.field.attname) + 0
            return queryset.filter(Q(In(off_index, sorted(subtree))))
        return queryset.filter(**{f"{self.field_path}__in": subtree})

    def _is_common(self, subtree: set[int]) -> bool:
        """Whether the subtree holds more products than the list counts exactly and at
        least one in ``COMMON_ONE_IN`` of the catalog: a page of 50 is then found within
        2,000 rows read in the list's order (``catalog.search`` asks the same of words)."""
        own = self._own_counts()
        held = sum(own.get(category_id, 0) for category_id in subtree)
        return held > exact_count_threshold() and held * COMMON_ONE_IN >= sum(own.values())

    def counted(self) -> QuerySet[Any] | None:
        """The chosen subtree's products off the category index (``catalog.admin.hooks``):
        the list counts these when this filter is its only condition."""
        if self._subtree is None:
            return None
        return self.field.model._default_manager.filter(
            **{f"{self.field.name}__in": self._subtree}
        ).order_by()

    def get_facet_counts(self, pk_attname: str, filtered_qs: QuerySet[Any]) -> dict[str, Any]:
        # Django's "Show counts" would count exact categories, one aggregate per
        # category; this filter always shows its own (subtree) counts instead.
        return {}

    def _own_counts(self) -> dict[int | None, int]:
        # The theme's "remove this filter" link asks an active filter for its choices a
        # second time: count once per request.
        if self._counts is None:
            self._counts = catalog_category_counts()
        return self._counts

    def choices(self, changelist: Any) -> Iterator["_ListFilterChoices"]:
        own = self._own_counts()
        totals = category_subtree_counts(own, self.tree)
        chosen = {str(value) for value in self.lookup_val or ()}  # a list, as in queryset()
        yield {
            "selected": not chosen and not self.lookup_val_isnull,
            "query_string": changelist.get_query_string(
                remove=[self.lookup_kwarg, self.lookup_kwarg_isnull]
            ),
            "display": "All",
        }
        for entry in self.outline:
            category_id = entry.id
            yield {
                "selected": str(category_id) in chosen,
                "query_string": changelist.get_query_string(
                    {self.lookup_kwarg: category_id}, [self.lookup_kwarg_isnull]
                ),
                "display": f"{INDENT * entry.depth}{entry.name} ({totals[category_id]:,})",
            }
        if self.include_empty_choice:
            yield {
                "selected": bool(self.lookup_val_isnull),
                "query_string": changelist.get_query_string(
                    {self.lookup_kwarg_isnull: "True"}, [self.lookup_kwarg]
                ),
                "display": f"{NO_CATEGORY} ({own.get(None, 0):,})",
            }
