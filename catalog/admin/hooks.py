"""The extension point of the catalog's admin: how another app adds to its pages.

The catalog's product and category admins are registered by the catalog and never
replaced. An app that wants to show something there (stats: figures, a recompute button,
bulk-run actions) appends an ``AdminExtension`` to ``product_admin_extensions`` or
``category_admin_extensions`` from its own ``admin.py``, which Django imports after the
catalog's (INSTALLED_APPS order), before any URL is resolved::

    from catalog.admin.hooks import AdminExtension, product_admin_extensions

    product_admin_extensions.append(AdminExtension(list_columns=[my_column]))

Columns and read-only fields are plain functions of the object, decorated with
``@admin.display`` for their titles; actions are admin actions
``(model_admin, request, queryset)``; buttons are ``config.admin.ObjectAction``;
``after_save`` callbacks ``(model_admin, request, obj)`` run once an add or change page
saved (e.g. to add a message below Django's); ``media`` is loaded on the admin's pages.

A column sorts when its ``@admin.display`` names an ``ordering``: a lookup through a
relation of the object (``ordering="stats__completeness"``), or an expression for an
order Django's strings cannot say (where rows without the relation go). On the product
list, ``catalog.admin.keyset.KeysetNullsLast`` (with an index the app declares on the
value and the product id) pages such a sort by key off that index instead of sorting
the catalog; any other ordering keeps numbered pages. List filters
are anything Django's ``list_filter`` takes, usually a ``SimpleListFilter`` subclass;
they come after the admin's own filters, in the extensions' order. A filter on another
table may offer ``counted()``: a queryset with as many rows as the products its choice
keeps (or None), ordered as it is best counted (the matching rows first), which the
product list counts instead of its own join when that filter is its only condition
(``catalog.admin.product_list``)::

    @admin.display(description="Completeness", ordering="stats__completeness")
    def completeness(obj): ...

    product_admin_extensions.append(
        AdminExtension(list_columns=[completeness], list_select_related=["stats"],
                       list_filters=[CompletenessFilter])
    )

Every product list column is offered by the column chooser and may be hidden
(``catalog.admin.list_columns``); saved views and each editor's choice keep a column by
its function's ``__name__`` (a renamed function drops out of them, nothing breaks), and
a saved view keeps a filter by its parameter name.

A column, an ordering or a filter reaching into another table joins it: name that
relation in ``list_select_related`` so that a page's rows come without a query per row,
and measure it on 100,000 products (``bench/changelist.py``): the product list reads a
page's ids first, so a sort no index serves sorts ids, not whole rows
(``catalog.admin.changelist``), and an index on a column most rows share can make a
filter slower, not faster (``stats.admin.product_list``).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from config.admin import ObjectAction, ObjectActionsMixin


@dataclass(frozen=True)
class AdminExtension:
    #: Extra change-list columns (functions of the object).
    list_columns: Sequence[Callable[[Any], Any]] = ()
    #: Relations the change list selects in the same query, for those columns.
    list_select_related: Sequence[str] = ()
    #: Extra change-list filters (whatever ``ModelAdmin.list_filter`` accepts).
    list_filters: Sequence[Any] = ()
    #: A read-only block on the change page of an existing object: (title, functions);
    #: on the product page it comes after the variants.
    fieldset: tuple[str, Sequence[Callable[[Any], Any]]] | None = None
    #: Change-list actions, offered to users with ``actions_permission`` ("app.codename").
    actions: Sequence[Callable[..., Any]] = ()
    actions_permission: str | None = None
    #: POST buttons on the change page.
    object_actions: Sequence[ObjectAction] = field(default_factory=tuple)
    #: Called after a successful save from the add or change page (not from a popup).
    after_save: Sequence[Callable[[Any, HttpRequest, Any], None]] = ()
    #: Scripts (and styles) the admin's pages load; a script finds its own elements.
    media: forms.Media | None = None


#: The class of an extension's read-only block: the product page shows these blocks below
#: the variants, which are what an editor comes to the page for.
EXTENSION_BLOCK_CLASS = "extension-block"

#: What other apps add to the product admin (``catalog.admin.product.ProductAdmin``).
product_admin_extensions: list[AdminExtension] = []
#: What other apps add to the category admin (``catalog.admin.category.CategoryAdmin``).
category_admin_extensions: list[AdminExtension] = []


class ExtensibleAdmin(ObjectActionsMixin):
    """Reads a model admin's additions from its list of ``AdminExtension``."""

    #: The registry this admin reads (one of the lists above).
    extensions: list[AdminExtension] = []

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[Any], Any]]:
        columns = [c for e in self.extensions for c in e.list_columns]
        return [*super().get_list_display(request), *columns]

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = [f for e in self.extensions for f in e.list_filters]
        return [*super().get_list_filter(request), *filters]

    def get_list_select_related(self, request: HttpRequest) -> bool | list[str] | tuple[str, ...]:
        base = super().get_list_select_related(request)
        extra = [name for e in self.extensions for name in e.list_select_related]
        if not extra:
            return base
        return [*(base if isinstance(base, list | tuple) else []), *extra]

    def _extension_fields(self, obj: Any) -> list[Callable[[Any], Any]]:
        if obj is None:
            return []
        return [f for e in self.extensions if e.fieldset for f in e.fieldset[1]]

    def get_readonly_fields(  # type: ignore[override]  # callables too, as Django allows
        self, request: HttpRequest, obj: Any = None
    ) -> list[str | Callable[[Any], Any]]:
        return [*super().get_readonly_fields(request, obj), *self._extension_fields(obj)]

    def get_fieldsets(  # type: ignore[override]  # callables in "fields" too, as Django allows
        self, request: HttpRequest, obj: Any = None
    ) -> list[tuple[Any, Mapping[str, Any]]]:
        fieldsets: list[tuple[Any, Mapping[str, Any]]] = list(super().get_fieldsets(request, obj))
        added = self._extension_fields(obj)
        if not added:
            return fieldsets
        # Django's default puts every readonly field into the first fieldset: take ours
        # out and give each extension its own block.
        first_title, first = fieldsets[0]
        fields = [f for f in first["fields"] if f not in added]
        fieldsets[0] = (first_title, {**first, "fields": fields})
        for extension in self.extensions:
            if extension.fieldset:
                title, functions = extension.fieldset
                fieldsets.append(
                    (title, {"fields": list(functions), "classes": [EXTENSION_BLOCK_CLASS]})
                )
        return fieldsets

    def get_actions(
        self, request: HttpRequest
    ) -> dict[str, tuple[Callable[..., Any], str, str] | None]:
        actions = super().get_actions(request)
        for extension in self.extensions:
            if extension.actions_permission and not request.user.has_perm(
                extension.actions_permission
            ):
                continue
            for function in extension.actions:
                name = function.__name__
                description = getattr(function, "short_description", name.replace("_", " "))
                actions[name] = (function, name, description)
        return actions

    @property
    def media(self) -> forms.Media:
        media = super().media
        for extension in self.extensions:
            if extension.media is not None:
                media += extension.media
        return media

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._after_save(request, obj, super().response_add(request, obj, post_url_continue))

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        return self._after_save(request, obj, super().response_change(request, obj))

    def _after_save(self, request: HttpRequest, obj: Any, response: HttpResponse) -> HttpResponse:
        # A redirect is a save the page answered normally; a popup's reply is a page of
        # its own (and its messages would show on the wrong window).
        if isinstance(response, HttpResponseRedirect):
            for extension in self.extensions:
                for callback in extension.after_save:
                    callback(self, request, obj)
        return response

    def get_object_actions(self) -> list[ObjectAction]:
        return [
            *super().get_object_actions(),
            *(a for e in self.extensions for a in e.object_actions),
        ]
