"""The product list's columns: which the editor chose, the price and total stock columns.

The list offers every column of ``ProductAdmin.list_display``, those other apps add
through ``catalog.admin.hooks`` (stats: stock status, completeness), and two of its own
that are not shown until an editor picks them: the price range and the total stock of
each product's variants. Those two are read for the page's rows only, in one query
(``catalog.listviews.figures``), after the page's ids; they do not sort (a sort by them
would group every variant of the catalog before the page is cut).

The SKU and the name are always shown; the SKU is the link to each product.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.filters import FieldListFilter
from django.contrib.admin.utils import get_fields_from_path, label_for_field
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest
from django.utils.text import capfirst

from catalog.listviews.figures import ProductFigures, product_figures
from catalog.listviews.models import ProductListSettings
from catalog.listviews.query import SEARCH_PARAM, ListShape
from catalog.listviews.selectors import list_settings_for

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object

#: Where a page's row keeps its figures for the two columns below.
FIGURES_ATTR = "_list_figures"
#: Always shown, whatever the choice: the link to the product and what it is.
REQUIRED_COLUMNS = ("sku", "name")
#: The column Django adds for list actions: position 0 of the list's sort numbers.
ACTION_COLUMN = "action_checkbox"


def _figures(obj: Any) -> ProductFigures | None:
    return getattr(obj, FIGURES_ATTR, None)


@admin.display(description="Price")
def price_range(obj: Any) -> str:
    """ "€9.99 to €19.99" (with an en dash), or one price when every variant costs the same."""
    figures = _figures(obj)
    return figures.price_text() if figures else "-"


@admin.display(description="Total stock")
def total_stock(obj: Any) -> int | str:
    figures = _figures(obj)
    return figures.total_stock if figures else "-"


#: Offered by the column chooser, not shown until chosen.
FIGURE_COLUMNS: tuple[Callable[[Any], Any], ...] = (price_range, total_stock)
FIGURE_NAMES = frozenset(c.__name__ for c in FIGURE_COLUMNS)


def column_name(column: str | Callable[..., Any]) -> str:
    return column if isinstance(column, str) else column.__name__


def figures_attach(rows: Iterable[Any]) -> list[Any]:
    """The page's rows, each with its figures: one query for the whole page."""
    rows = list(rows)
    figures = product_figures(row.pk for row in rows)
    for row in rows:
        setattr(row, FIGURES_ATTR, figures.get(row.pk, ProductFigures()))
    return rows


def list_params(model_admin: Any, request: HttpRequest) -> set[str]:
    """The filter and search parameters the list's address may carry, as Django reads them."""
    params = {SEARCH_PARAM} if model_admin.get_search_fields(request) else set()
    model = model_admin.model
    for item in model_admin.get_list_filter(request):
        if isinstance(item, list | tuple):
            field_path, spec_class = item
        elif callable(item):
            params.update(item(request, {}, model, model_admin).expected_parameters())
            continue
        else:
            field_path, spec_class = item, FieldListFilter.create
        field = get_fields_from_path(model, field_path)[-1]
        spec = spec_class(field, request, {}, model, model_admin, field_path=field_path)
        params.update(spec.expected_parameters())
    return params


class ListColumnsAdmin(_ModelAdmin):
    """The product list shows the columns the editor chose (``ProductListSettings``)."""

    def list_settings(self, request: HttpRequest) -> ProductListSettings:
        """The editor's settings, read once per request (every list page needs them)."""
        cached = getattr(request, "_product_list_settings", None)
        if cached is None:
            cached = list_settings_for(user=request.user)
            request._product_list_settings = cached  # type: ignore[attr-defined]
        return cached

    def _all_columns(self, request: HttpRequest) -> dict[str, str | Callable[..., Any]]:
        standard = super().get_list_display(request)
        return {column_name(c): c for c in [*standard, *FIGURE_COLUMNS]}

    def _sortable(self, name: str, column: str | Callable[..., Any]) -> bool:
        if callable(column):
            return bool(getattr(column, "admin_order_field", None))
        try:
            self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return bool(getattr(getattr(self, name, None), "admin_order_field", None))
        return True

    def list_shape(self, request: HttpRequest, *, params: bool = False) -> ListShape:
        """The columns the list offers, and (``params``) its filter parameters, which
        cost a query or two (the category filter's choices): only when saving a view."""
        columns = self._all_columns(request)
        return ListShape(
            available=list(columns),
            standard=[n for n in columns if n not in FIGURE_NAMES],
            required=REQUIRED_COLUMNS,
            sortable={n for n, c in columns.items() if self._sortable(n, c)},
            params=list_params(self, request) if params else (),
        )

    def column_titles(self, request: HttpRequest) -> dict[str, str]:
        return {
            name: capfirst(str(label_for_field(column, self.model, self)))
            for name, column in self._all_columns(request).items()
        }

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[Any], Any]]:
        columns = self._all_columns(request)
        chosen = self.list_shape(request).columns(self.list_settings(request).columns)
        return [columns[name] for name in chosen]

    def get_list_display_links(
        self, request: HttpRequest, list_display: Sequence[str | Callable[[Any], Any]]
    ) -> list[str | Callable[[Any], Any]]:
        return [REQUIRED_COLUMNS[0]]

    def display_names(self, request: HttpRequest, columns: Sequence[str]) -> list[str]:
        """The list's columns as its sort numbers count them (list actions first)."""
        prefix = [ACTION_COLUMN] if self.get_actions(request) else []
        return [*prefix, *columns]

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        shown = {column_name(c) for c in changelist.list_display}
        if shown & FIGURE_NAMES:
            changelist.result_list = figures_attach(changelist.result_list)
        return changelist
