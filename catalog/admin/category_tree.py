"""Catalog > Categories as a tree, and the parent picker that shows paths.

Editors think of categories as a tree ("Shirts" under "Clothing"), and the list was flat
and alphabetical. Here the list is in the tree's order: each category right under its
parent, siblings by name, indented by its level, with how many products it holds with
all its subcategories and a link to those products.

The order is not a column the database can sort on (it is the path of names from the
top), so it is worked out from the whole tree in memory (one query: a catalog has
thousands of categories, not millions), and a page reads only its own rows by id. The
counts are one GROUP BY of the products on the category index, added up the tree in
memory (``catalog.selectors``). Whatever the tree's size, a page costs the same handful
of queries; every walk is ``catalog.tree``'s bounded one, so bad data (a cycle) ends.

The same ordered rows serve the autocomplete of the parent picker (Django pages an
autocomplete with the model admin's paginator), labelled by their path; the picker on a
category's own page never offers the category or anything below it. That only spares
the editor a refused save: the form still checks the parent under the tree lock
(``catalog.services.category_parent_check``).
"""

from collections.abc import Iterator, Sequence
from typing import Any, overload

from django import forms
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.http import urlencode

from catalog.models import Category, Product
from catalog.selectors import (
    PATH_SEPARATOR,
    Tree,
    category_names,
    category_outline,
    category_path,
    category_path_names,
    category_product_counts,
    category_subtree_counts,
    category_subtrees,
    category_tree,
)

#: The query parameter the parent picker adds to its autocomplete address: the category
#: being edited, whose subtree is left out of the answers.
NOT_UNDER = "not_under"


class CategoryTreeRows(Sequence[Category]):
    """The categories of ``queryset`` in the tree's order; rows read a slice at a time.

    Each row read carries ``tree_depth`` (0 at the top) and ``tree_path`` (the names
    from the top down to it). Django's ``Paginator`` takes it as its object list.
    """

    def __init__(self, queryset: QuerySet[Category]) -> None:
        self.queryset = queryset.order_by()
        self.tree: Tree
        self.tree, self.names = category_names()
        matching = set(self.queryset.values_list("pk", flat=True))
        self.entries = [e for e in category_outline(self.tree, self.names) if e.id in matching]

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> Category: ...
    @overload
    def __getitem__(self, index: slice) -> list[Category]: ...
    def __getitem__(self, index: int | slice) -> Category | list[Category]:
        if isinstance(index, int):
            return self._rows([self.entries[index]])[0]
        return self._rows(self.entries[index])

    def __iter__(self) -> Iterator[Category]:
        return iter(self[:])

    def _rows(self, entries: Sequence[Any]) -> list[Category]:
        rows = {row.pk: row for row in self.queryset.filter(pk__in=[e.id for e in entries])}
        found = []
        for entry in entries:
            row = rows.get(entry.id)
            if row is None:
                continue  # deleted between the two reads
            row.tree_depth = entry.depth  # type: ignore[attr-defined]
            row.tree_path = category_path_names(entry.id, self.tree, self.names)  # type: ignore[attr-defined]
            found.append(row)
        return found


class CategoryTreeChangeList(ChangeList):
    """The category list: one page of ``CategoryTreeRows``, each row with its counts.

    Each row also gets ``products_total`` (its subtree's products) and ``shown_path``:
    the names above it, given where its parent is not on the page above it (the first
    rows of a page, search results), so that no row reads as if it were at the top.
    """

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        ordered: CategoryTreeRows = self.paginator.object_list
        if not isinstance(self.result_list, list):
            # Django's "everything on one page" path hands the queryset over as it is,
            # in no tree order: read the same rows in order instead.
            self.result_list = ordered[:]
        own = category_product_counts(Product.objects.all())
        totals = category_subtree_counts(own, ordered.tree)
        on_page: set[int] = set()
        for row in self.result_list:
            row.products_total = totals.get(row.pk, 0)
            parent_shown = row.parent_id is None or row.parent_id in on_page
            row.shown_path = "" if parent_shown else PATH_SEPARATOR.join(row.tree_path[:-1])
            on_page.add(row.pk)


def parent_choices_excluded(request: HttpRequest) -> set[int]:
    """The ids the parent picker's autocomplete must not offer: the category being
    edited and its subtree (none when the request is not the parent picker's)."""
    if request.GET.get("model_name") != "category" or request.GET.get("field_name") != "parent":
        return set()
    try:
        category_id = int(request.GET.get(NOT_UNDER, ""))
    except ValueError:
        return set()
    tree = category_tree()
    return category_subtrees({category_id} & tree.keys(), tree)


class CategoryParentPicker(AutocompleteSelect):
    """Django's autocomplete drop-down, told which category it picks a parent for."""

    #: The category whose parent is picked (None on the add page: nothing to leave out).
    category_id: int | None = None

    def get_url(self) -> str:
        url = super().get_url()
        if self.category_id is None:
            return url
        return f"{url}?{urlencode({NOT_UNDER: self.category_id})}"


class CategoryPathChoiceField(forms.ModelChoiceField):
    """A category choice that reads as its path ("Clothing / Shirts"), here the one chosen."""

    def label_from_instance(self, obj: Any) -> str:
        return category_path(obj.pk)
