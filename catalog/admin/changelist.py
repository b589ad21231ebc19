"""The product list reads a page in two steps: the page's ids, then those rows by id.

Sorted by the default order, a page of 50 is 50 rows off the ``product_updated``
index whichever way it is read. Sorted or filtered by something no index orders (a
statistics column, a large category's subtree), the database sorts every matching row
first, and in one query MariaDB copies each of them whole into a temporary table
before sorting: the description, the statistics, the variant count's subquery
evaluated for each of the 100,000 products. That made "sort by completeness" take
0.7 s warm, 3 s cold. Sorting the ids alone and then reading the page's rows by
primary key costs one more query on every page (a constant: the query count does not
grow with the catalog), and the sort reads no more than it needs (figures in
``bench/README.md``).

In an order that pages by key (``catalog.admin.keyset``: the default order, and a
column whose ordering is a ``KeysetNullsLast``) the page's ids come from
``keyset_page``: off an index in order, "Next"/"Previous" carrying a row's key. The
count is capped and estimated beyond its threshold (``catalog.admin.counting``);
``count_words`` is what the page says.
"""

from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.http import HttpRequest

from catalog.admin.counting import (
    EXACT,
    estimated_count,
    exact_count_threshold,
    rounded,
)
from catalog.admin.keyset import AFTER, BEFORE, KeysetNullsLast, KeysetOrder, keyset_page

#: Query parameters that are not filters: left out of every other link of the page.
PAGING_PARAMS = (AFTER, BEFORE, EXACT)


class IdsFirstChangeList(ChangeList):
    #: The model admin's default order as keyset segments (None: numbered pages only).
    keyset_default: KeysetOrder | None = None

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.after = request.GET.get(AFTER)
        self.before = request.GET.get(BEFORE)
        self.previous_url: str | None = None
        self.next_url: str | None = None
        self.count_estimate: int | None = None
        super().__init__(request, *args, **kwargs)

    def get_filters_params(self, params: Any = None) -> dict[str, Any]:
        lookup: dict[str, Any] = super().get_filters_params(params)
        for name in PAGING_PARAMS:
            lookup.pop(name, None)
        return lookup

    def get_query_string(self, new_params: Any = None, remove: Any = None) -> str:
        # A filter, sort or page link starts the list afresh: no key, no exact count.
        # (The paging links set their own.)
        new_params = dict(new_params or {})
        for name in (AFTER, BEFORE):
            new_params.setdefault(name, None)
        return super().get_query_string(new_params, remove)

    def keyset_order(self) -> KeysetOrder | None:
        """The segments of the list's order, if it pages by key."""
        order = self.params.get(ORDER_VAR)
        if not order:
            return type(self).keyset_default
        if "." in order:
            return None
        _, prefix, number = order.rpartition("-")
        try:
            field = self.list_display[int(number)]
        except (IndexError, ValueError):
            return None
        ordering = self.get_ordering_field(field)
        if isinstance(ordering, KeysetNullsLast):
            return ordering.segments(descending=prefix == "-")
        return None

    def get_results(self, request: HttpRequest) -> None:
        order = self.keyset_order()
        if (self.after or self.before) and order is None:
            raise IncorrectLookupParameters("a key without an order that pages by key")
        super().get_results(request)
        if not self.count_is_exact:
            known = getattr(self.paginator, "known_estimate", None)
            self.count_estimate = known or estimated_count(self.queryset)
        if order is None:
            # Django left the page as a lazy slice of the sorted, filtered queryset.
            page: Any = self.result_list
            ids = list(page.values_list("pk", flat=True))
        else:
            ids = self._keyset_ids(order)
        # By primary key alone: the filters and the search chose the ids already.
        rows = {row.pk: row for row in self._rows().filter(pk__in=ids)}
        # A row deleted between the two reads is left out.
        self.result_list = [rows[pk] for pk in ids if pk in rows]

    def _rows(self) -> Any:
        return self.apply_select_related(self.root_queryset).order_by()

    def _keyset_ids(self, order: KeysetOrder) -> list[int]:
        keyed = bool(self.after or self.before)
        try:
            page = keyset_page(
                self.queryset,
                order,
                per_page=self.list_per_page,
                after=self.after,
                before=self.before,
                offset=0 if keyed else (self.page_num - 1) * self.list_per_page,
            )
        except ValueError as exc:
            raise IncorrectLookupParameters(exc) from exc
        if page.previous_key:
            self.previous_url = self.get_query_string({BEFORE: page.previous_key})
        if page.next_key:
            self.next_url = self.get_query_string({AFTER: page.next_key})
        if keyed:
            self.page_num = 0  # no numbered page is this one
        return page.ids

    @property
    def count_is_exact(self) -> bool:
        # A model admin's own paginator (not a ``CappedCountPaginator``) counts exactly.
        return not getattr(self.paginator, "capped", False)

    @property
    def count_words(self) -> str:
        """ "1,234 products", "about 1,000,000 products", "more than 10,000 products"."""
        plural = str(self.opts.verbose_name_plural)
        if self.count_is_exact:
            name = self.opts.verbose_name if self.result_count == 1 else plural
            return f"{self.result_count:,} {name}"
        threshold = exact_count_threshold()
        if self.count_estimate and self.count_estimate > threshold:
            return f"about {rounded(self.count_estimate):,} {plural}"
        return f"more than {threshold:,} {plural}"

    @property
    def exact_count_url(self) -> str:
        return self.get_query_string({EXACT: "exact"})
