"""Admin building blocks every app may use: read-only pages and POST buttons on change pages."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

if TYPE_CHECKING:
    # The mixins here are only ever mixed into a ModelAdmin: type-check them as one.
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class ListCheckboxes(_ModelAdmin):
    """A list's row checkbox reads "Select P-1 Oxford shirt" to a screen reader, not
    Django's "Select this object for an action - P-1 Oxford shirt".

    The column's own checkbox ("Select every product on this page") is the template
    tag ``result_list_in_words`` (editors.templatetags.admin_words), used by
    templates/admin/change_list.html. Registry: config.upstream "Django list checkboxes".
    """

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj: Any) -> SafeString:
        checkbox = forms.CheckboxInput(
            {"class": "action-select", "aria-label": f"Select {obj}"}, lambda value: False
        )
        return checkbox.render(ACTION_CHECKBOX_NAME, str(obj.pk))


class ReadOnlyAdmin(ListCheckboxes, admin.ModelAdmin):
    """A page to look at, never to edit: figures written by workers, views over history.

    Rows that belong to another object (a product's statistics) set ``deleted_with`` to
    the permission that deletes that owner ("catalog.delete_product"). Django's delete
    confirmation asks the admin of every row a delete would cascade to, so without it
    nobody could delete the owner. Even then these pages offer no delete of their own
    (no action, no button, no delete page): a row deleted by hand is only recomputed.
    """

    #: Holders of this permission ("app.codename") may delete these rows *with* their
    #: owner; None: never deleted through the admin.
    deleted_with: str | None = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.deleted_with is not None and request.user.has_perm(self.deleted_with)

    def get_actions(
        self, request: HttpRequest
    ) -> dict[str, tuple[Callable[..., Any], str, str] | None]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # These rows' primary key is their owner's (a one-to-one): Django bounds integer
        # ids for its own integer fields, not through a relation, so on SQLite a 20-digit
        # id in the URL raised OverflowError (a 500). It names no row: None, as Django does.
        try:
            return super().get_object(request, object_id, from_field)
        except OverflowError:
            return None

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "show_delete": False}
        )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        raise PermissionDenied


def _always(model_admin: Any, request: HttpRequest, obj: Any) -> bool:
    return True


@dataclass(frozen=True)
class ObjectAction:
    """A POST-only button on a change page, served at ``<object id>/<slug>/``.

    ``permitted(model_admin, request, obj)`` is asked first with ``obj=None`` (so a user
    without the permission learns nothing about which ids exist), then with the object;
    ``view(model_admin, request, obj)`` answers the POST once both said yes. The button
    appears where ``permitted`` and ``shown`` (the object's state) both say yes.
    """

    slug: str
    label: str
    view: Callable[[Any, HttpRequest, Any], HttpResponse]
    permitted: Callable[[Any, HttpRequest, Any], bool]
    shown: Callable[[Any, HttpRequest, Any], bool] = _always
    title: str = ""

    @property
    def name(self) -> str:
        return self.slug.replace("-", "_")


class ObjectActionsMixin(_ModelAdmin):
    """Serves ``get_object_actions()`` and hands them to the change page.

    The URL of each action is named ``<app>_<model>_<slug with underscores>``; the change
    page's template gets the shown ones as ``object_actions`` (each with its ``url``) and
    each URL as ``<slug with underscores>_url`` (None when hidden). A form that posts
    ``next`` (a page of this site) is sent back there afterwards (``back_to_next``).
    """

    def get_object_actions(self) -> list[ObjectAction]:
        return []

    def object_or_404(self, request: HttpRequest, object_id: str) -> Any:
        """The object, as ``get_queryset`` lets this user see it, or a 404: one answer for
        another's object and for none at all (Django's admin redirects with "doesn't exist")."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with ID {object_id!r}.")
        return obj

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        shown = []
        for action in self.get_object_actions():
            visible = (
                obj is not None
                and action.permitted(self, request, obj)
                and action.shown(self, request, obj)
            )
            url = self.object_action_url(action.slug, obj.pk) if visible else None
            context[f"{action.name}_url"] = url
            if url:
                shown.append({"action": action, "url": url})
        context["object_actions"] = shown
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _object_action_name(self, slug: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{slug.replace('-', '_')}"

    def get_urls(self) -> list[URLPattern]:
        def bound(action: ObjectAction) -> Callable[[HttpRequest, str], HttpResponse]:
            def view(request: HttpRequest, object_id: str) -> HttpResponse:
                # POST only: a link a crawler or a prefetching browser follows must not act.
                if request.method != "POST":
                    return HttpResponseNotAllowed(["POST"])
                if not action.permitted(self, request, None):
                    raise PermissionDenied
                obj = self.object_or_404(request, object_id)
                if not action.permitted(self, request, obj):
                    raise PermissionDenied
                return back_to_next(request, action.view(self, request, obj))

            return view

        actions = [
            path(
                f"<path:object_id>/{action.slug}/",
                self.admin_site.admin_view(bound(action)),
                name=self._object_action_name(action.slug),
            )
            for action in self.get_object_actions()
        ]
        # Before the defaults: their "<path:object_id>/" catch-all would match them too.
        return [*actions, *super().get_urls()]

    def object_action_url(self, slug: str, object_id: int) -> str:
        return reverse(
            f"admin:{self._object_action_name(slug)}",
            args=[object_id],
            current_app=self.admin_site.name,
        )

    def change_page_redirect(self, object_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
        )


def back_to_next(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An action's redirect sent instead to the page the button was on, when the form
    says so (``next``, a page of this site: the job centre's Stop), so its message shows
    there; anything else is left as the action answered."""
    target = request.POST.get("next", "")
    if not isinstance(response, HttpResponseRedirect) or not target:
        return response
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return response
    return HttpResponseRedirect(target)


class LabelledRowsFormSet(BaseInlineFormSet):
    """A table of inline rows whose inputs a screen reader can name.

    A tabular inline shows each field's label once, in the column heading, so its inputs
    have no label of their own (axe-core's label and select-name rules). Each gets one:
    the column's name and the row's number, "Price, row 2".
    """

    def add_fields(self, form: Any, index: int | None) -> None:
        super().add_fields(form, index)
        row = "new row" if index is None else f"row {index + 1}"
        for name, field in form.fields.items():
            label = "Delete" if name == "DELETE" else capfirst(str(field.label or name))
            field.widget.attrs.setdefault("aria-label", f"{label}, {row}")
