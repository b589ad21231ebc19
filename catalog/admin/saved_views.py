"""Saved views on the product list: the "Views" control, its pages, the column chooser.

Thin pages over ``catalog.listviews``. A view is opened through its own address
(``views/<id>/open/``): its columns become the editor's, then the list is shown with
its filters, search and sort, and ``view=<id>`` in the address says which view is open
(the list reads it as no filter: ``changelist_with_views``; it stays in every link of
the list, so a sort or a product saved keeps the view). The list's plain address, with
nothing after it, opens the editor's default view, unless it was asked for from the list
itself (Django's "Show all" link is the plain address); "All products" (``view=all``) is
the list without a view. The chosen columns stay the editor's until they choose others or open a
view. Any editor who may see products has saved views; they need no permission of their
own.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from catalog.admin.list_columns import ListColumnsAdmin
from catalog.admin.saved_view_forms import ColumnChoiceError, SavedViewForm, columns_chosen
from catalog.listviews.models import SavedView
from catalog.listviews.query import SORT_PARAM, query_clean, query_sort, sort_names, sort_param
from catalog.listviews.selectors import default_view_for, saved_view_visible, saved_views_for
from catalog.listviews.services import (
    SavedViewError,
    list_columns_choose,
    saved_view_delete,
    saved_view_make_default,
    saved_view_open,
    saved_view_save,
    saved_view_update,
)

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object

#: The address parameter naming the open view; ``ALL_PRODUCTS``: none, on purpose.
VIEW_PARAM = "view"
ALL_PRODUCTS = "all"
#: Parameters of the list's address that are not part of what a view shows.
NOT_SAVED = frozenset({SORT_PARAM, "p", "e", "_facets", VIEW_PARAM, IS_POPUP_VAR, TO_FIELD_VAR})


def changelist_with_views(changelist: type[ChangeList]) -> type[ChangeList]:
    """The list's class, reading ``view=`` as no filter: it stays in the address, so the
    sort, filter and page links and a product's "back to the list" keep the open view."""
    if changelist not in _WITH_VIEWS:
        _WITH_VIEWS[changelist] = type(
            f"{changelist.__name__}WithViews", (_ViewParamIgnored, changelist), {}
        )
    return _WITH_VIEWS[changelist]


class _ViewParamIgnored(ChangeList):
    def get_filters_params(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        lookups = super().get_filters_params(params)
        lookups.pop(VIEW_PARAM, None)
        return lookups


_WITH_VIEWS: dict[type[ChangeList], type[ChangeList]] = {}


def _from_the_list(request: HttpRequest) -> bool:
    """Whether the plain list was asked for from the list itself ("Show all" there leads
    to the plain address): that means every product, not the default view."""
    referer = urlsplit(request.headers.get("referer", ""))
    return referer.netloc == request.get_host() and referer.path == request.path


def _list_url(query: str = "") -> str:
    url = reverse("admin:catalog_product_changelist")
    return f"{url}?{query}" if query else url


class SavedViewsAdmin(ListColumnsAdmin):
    """The product list's "Views" control and the pages behind it."""

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        urls = [
            path("views/", view(self.saved_views_view), name="catalog_product_views"),
            path("views/save/", view(self.view_save_view), name="catalog_product_view_save"),
            path("columns/", view(self.columns_view), name="catalog_product_columns"),
            path("views/<str:view_id>/", view(self.view_edit_view), name="catalog_product_view"),
            path(
                "views/<str:view_id>/open/",
                view(self.view_open_view),
                name="catalog_product_view_open",
            ),
            path(
                "views/<str:view_id>/update/",
                view(self.view_update_view),
                name="catalog_product_view_update",
            ),
            path(
                "views/<str:view_id>/delete/",
                view(self.view_delete_view),
                name="catalog_product_view_delete",
            ),
            path(
                "views/<str:view_id>/default/",
                view(self.view_default_view),
                name="catalog_product_view_default",
            ),
        ]
        return [*urls, *super().get_urls()]

    # The list itself.

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        popup = IS_POPUP_VAR in request.GET or TO_FIELD_VAR in request.GET
        if popup:
            return super().changelist_view(request, extra_context)
        if request.method == "GET" and not request.GET and not _from_the_list(request):
            default = default_view_for(user=request.user, settings=self.list_settings(request))
            if default is not None:
                return HttpResponseRedirect(
                    reverse("admin:catalog_product_view_open", args=[default.pk])
                )
        chosen = request.GET.get(VIEW_PARAM)
        current = None
        if chosen and chosen != ALL_PRODUCTS:
            current = saved_view_visible(user=request.user, view_id=chosen)
        context = {
            **(extra_context or {}),
            "saved_views": saved_views_for(user=request.user),
            "current_view": current,
            "current_view_changed": current is not None and self._changed(request, current),
            "default_view": default_view_for(
                user=request.user, settings=self.list_settings(request)
            ),
            "list_query": request.GET.urlencode(),
            "list_filtered": bool(set(request.GET) - NOT_SAVED),
            "save_form": SavedViewForm(initial={"query": request.GET.urlencode()}),
        }
        return super().changelist_view(request, context)

    def _changed(self, request: HttpRequest, view: SavedView) -> bool:
        """Whether the list now shows something else than ``view`` (to offer "Update")."""
        query = request.GET.urlencode()
        shown = query_clean(query, known=set(request.GET) - NOT_SAVED)
        shape = self.list_shape(request)
        columns = shape.columns(self.list_settings(request).columns)
        sort = sort_names(
            query_sort(query),
            columns=self.display_names(request, columns),
            sortable=shape.sortable,
        )
        return (shown, sort, columns) != (view.query, view.sort, shape.columns(view.columns))

    # The pages.

    def _allowed(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def _visible(self, request: HttpRequest, view_id: str) -> SavedView:
        self._allowed(request)
        view = saved_view_visible(user=request.user, view_id=view_id)
        if view is None:
            raise Http404(f"No saved view with ID {view_id[:20]!r}.")
        return view

    def _own(self, request: HttpRequest, view_id: str) -> SavedView:
        view = self._visible(request, view_id)
        if view.owner_id != request.user.pk:
            raise PermissionDenied
        return view

    def _page(self, request: HttpRequest, template: str, title: str, **extra: Any) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **extra,
        }
        return TemplateResponse(request, f"admin/catalog/product/{template}", context)

    def _what_list_shows(self, request: HttpRequest, query: str) -> dict[str, Any]:
        """What a view saves of the list as it is: its address, sort and columns."""
        shape = self.list_shape(request, params=True)
        columns = shape.columns(self.list_settings(request).columns)
        sort = sort_names(
            query_sort(query), columns=self.display_names(request, columns), sortable=shape.sortable
        )
        return {"shape": shape, "query": query, "sort": sort, "columns": columns}

    def _open_url(self, request: HttpRequest, view: SavedView) -> str:
        shape = self.list_shape(request)
        columns = self.display_names(request, shape.columns(view.columns))
        query = QueryDict(view.query, mutable=True)
        if order := sort_param(view.sort, columns=columns):
            query[SORT_PARAM] = order
        query[VIEW_PARAM] = str(view.pk)
        return _list_url(query.urlencode())

    def _written(
        self,
        request: HttpRequest,
        form: SavedViewForm,
        write: Callable[[dict[str, Any]], SavedView],
        done: str,
    ) -> SavedView | None:
        """The form's name and choices written; a refusal becomes the form's error."""
        fields = {k: form.cleaned_data[k] for k in ("name", "shared", "make_default")}
        try:
            view = write(fields)
        except SavedViewError as exc:
            form.add_error(exc.field, str(exc))
            return None
        self.message_user(request, f"View “{view.name}” {done}.", messages.SUCCESS)
        return view

    def saved_views_view(self, request: HttpRequest) -> HttpResponse:
        """Every view the editor may open: theirs (to change) and the team's."""
        self._allowed(request)
        views = saved_views_for(user=request.user)
        return self._page(
            request,
            "saved_views.html",
            "Saved views of the product list",
            own=[v for v in views if v.owner_id == request.user.pk],
            shared=[v for v in views if v.owner_id != request.user.pk],
            default_view=default_view_for(user=request.user),
        )

    def view_save_view(self, request: HttpRequest) -> HttpResponse:
        self._allowed(request)
        if request.method != "POST":
            form = SavedViewForm(initial={"query": request.GET.urlencode()})
        else:
            form = SavedViewForm(request.POST)
            if form.is_valid():
                shown = self._what_list_shows(request, form.cleaned_data["query"])
                done = self._written(
                    request,
                    form,
                    lambda fields: saved_view_save(owner=request.user, **fields, **shown),
                    "saved",
                )
                if done:
                    return HttpResponseRedirect(self._open_url(request, done))
        return self._page(request, "saved_view_form.html", "Save this view", form=form)

    def view_edit_view(self, request: HttpRequest, view_id: str) -> HttpResponse:
        """Rename an own view, share it or not, make it the default or not; delete it."""
        view = self._own(request, view_id)
        is_default = default_view_for(user=request.user) == view
        initial = {"name": view.name, "shared": view.shared, "make_default": is_default}
        form = SavedViewForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            shape = self.list_shape(request)
            done = self._written(
                request,
                form,
                lambda fields: saved_view_update(
                    user=request.user, view=view, shape=shape, **fields
                ),
                "changed",
            )
            if done:
                return HttpResponseRedirect(reverse("admin:catalog_product_views"))
        return self._page(
            request, "saved_view_form.html", f"Change the view “{view.name}”", form=form, view=view
        )

    def view_open_view(self, request: HttpRequest, view_id: str) -> HttpResponse:
        view = self._visible(request, view_id)
        saved_view_open(user=request.user, view=view)
        return HttpResponseRedirect(self._open_url(request, view))

    def view_update_view(self, request: HttpRequest, view_id: str) -> HttpResponse:
        """ "Update this view": it shows the list as it is now (filters, sort, columns)."""
        view = self._own(request, view_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._open_url(request, view))
        shown = self._what_list_shows(request, request.POST.get("query", ""))
        saved_view_update(user=request.user, view=view, **shown)
        self.message_user(request, f"View “{view.name}” updated.", messages.SUCCESS)
        return HttpResponseRedirect(self._open_url(request, view))

    def view_delete_view(self, request: HttpRequest, view_id: str) -> HttpResponse:
        view = self._own(request, view_id)
        if request.method == "POST":
            saved_view_delete(user=request.user, view=view)
            self.message_user(request, f"View “{view.name}” deleted.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:catalog_product_views"))

    def view_default_view(self, request: HttpRequest, view_id: str) -> HttpResponse:
        """Make a view (a teammate's shared one too) the default; ``all``: no default."""
        self._allowed(request)
        if request.method == "POST":
            view = None if view_id == ALL_PRODUCTS else self._visible(request, view_id)
            saved_view_make_default(user=request.user, view=view)
            self.message_user(
                request,
                f"The product list now opens on “{view.name if view else 'All products'}”.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:catalog_product_views"))

    def columns_view(self, request: HttpRequest) -> HttpResponse:
        """The column chooser: which columns the list shows, in which order."""
        self._allowed(request)
        shape = self.list_shape(request)
        shown = shape.columns(self.list_settings(request).columns)
        back = request.POST.get("next", "") if request.method == "POST" else request.GET.urlencode()
        error = ""
        if request.method == "POST":
            data = request.POST
            try:
                chosen = columns_chosen(
                    data, available=shape.available, required=shape.required, current=shown
                )
            except ColumnChoiceError:
                error = "A position is a whole number (1 for the first column): correct it below."
            else:
                if "standard" in data:
                    chosen = []
                before = self.display_names(request, shown)
                after = list_columns_choose(user=request.user, shape=shape, columns=chosen)
                # Not the plain address: that would open the default view, and its columns.
                query = _resorted(back, before, self.display_names(request, after), shape.sortable)
                return HttpResponseRedirect(_list_url(query or f"{VIEW_PARAM}={ALL_PRODUCTS}"))
        titles = self.column_titles(request)
        order = [*shown, *(n for n in shape.available if n not in shown)]
        rows = [
            {
                "name": name,
                "title": titles[name],
                "shown": name in shown
                if request.method != "POST"
                else name in request.POST.getlist("show"),
                "required": name in shape.required,
                "position": (
                    request.POST.get(f"position-{name}", "")
                    if request.method == "POST"
                    else (shown.index(name) + 1 if name in shown else "")
                ),
            }
            for name in order
        ]
        return self._page(
            request,
            "list_columns.html",
            "Columns of the product list",
            rows=rows,
            back=back,
            error=error,
        )


def _resorted(query: str, before: list[str], after: list[str], sortable: Any) -> str:
    """The list's address with its sort numbers counted again for the new columns."""
    params = QueryDict(query, mutable=True)
    if SORT_PARAM in params:
        names = sort_names(str(params[SORT_PARAM]), columns=before, sortable=sortable)
        order = sort_param(names, columns=after)
        if order:
            params[SORT_PARAM] = order
        else:
            del params[SORT_PARAM]
    return params.urlencode()


__all__ = ["ALL_PRODUCTS", "VIEW_PARAM", "SavedViewsAdmin"]
