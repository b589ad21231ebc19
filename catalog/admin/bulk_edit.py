"""Bulk edit from the product list: the action, the form, the preview and Apply.

Thin pages over ``catalog.bulkedit``: the selection and the form are translated here
(``bulk_edit_form``), the preview is ``bulk_edit_preview`` and Apply is
``bulk_edit_create`` (it records the job and hands it to the import worker once that
commits); the job's own page is ``bulk_edit_jobs``. Only holders of
``catalog.bulk_edit_product`` see the action and the link, and reach these pages.
"""

import hashlib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from catalog.admin.bulk_edit_form import (
    BulkEditForm,
    bulk_edit_forget,
    bulk_edit_keep,
    bulk_edit_open,
    bulk_edit_state,
    selection_resolve,
)
from catalog.bulkedit.jobs import bulk_edit_create
from catalog.bulkedit.operations import BulkEditError, Operation
from catalog.bulkedit.preview import Preview, bulk_edit_preview
from catalog.models import Product
from catalog.selectors import category_names, category_path_names
from config.humanize import human_duration, quantity

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object

PERMISSION = "catalog.bulk_edit_product"
#: Products per page of the preview, and rule errors listed before "and N more".
PER_PAGE = 50
ERRORS_SHOWN = 200
FIELD_LABELS = {"status": "Status", "category": "Category", "price": "Price", "stock": "Stock"}


def may_bulk_edit(request: HttpRequest) -> bool:
    return request.user.has_perm(PERMISSION)


def preview_digest(preview: Preview) -> str:
    """What the preview showed, in a few characters: Apply refuses a preview gone stale
    (a product saved, added to or gone from the selection since it was shown)."""
    text = ";".join(f"{p.product_id}:{p.version}" for p in preview.products)
    text += f"|{preview.selected}|{len(preview.errors)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@admin.action(description="Edit selected products", permissions=["bulk_edit"])
def edit_selected(
    model_admin: "ProductBulkEditMixin", request: HttpRequest, queryset: QuerySet[Product]
) -> HttpResponse:
    # "Select all N" on the list: keep the list's filters, not tens of thousands of ids.
    if request.POST.get("select_across") == "1":
        token = bulk_edit_open(request, {"query": request.GET.urlencode()})
    else:
        token = bulk_edit_open(request, {"ids": list(queryset.values_list("pk", flat=True))})
    return HttpResponseRedirect(reverse("admin:catalog_product_bulk_edit", args=[token]))


class ProductBulkEditMixin(_ModelAdmin):
    """The product list's "Edit selected products" action and "Edit all N" link, and the
    form and preview pages they lead to."""

    actions = [edit_selected]

    def has_bulk_edit_permission(self, request: HttpRequest) -> bool:
        return may_bulk_edit(request)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        urls = [
            path("bulk-edit/all/", view(self.bulk_edit_all_view), name="catalog_product_bulk_all"),
            path(
                "bulk-edit/<str:token>/",
                view(self.bulk_edit_view),
                name="catalog_product_bulk_edit",
            ),
            path(
                "bulk-edit/<str:token>/preview/",
                view(self.bulk_preview_view),
                name="catalog_product_bulk_preview",
            ),
        ]
        return [*urls, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "can_bulk_edit": may_bulk_edit(request)}
        return super().changelist_view(request, context)

    def bulk_edit_all_view(self, request: HttpRequest) -> HttpResponse:
        """ "Edit all N products matching this filter": the list's query string is kept."""
        if not may_bulk_edit(request):
            raise PermissionDenied
        token = bulk_edit_open(request, {"query": request.GET.urlencode()})
        return HttpResponseRedirect(reverse("admin:catalog_product_bulk_edit", args=[token]))

    def _state(self, request: HttpRequest, token: str) -> dict[str, Any] | HttpResponse:
        if not may_bulk_edit(request):
            raise PermissionDenied
        state = bulk_edit_state(request, token)
        if state is None:
            self.message_user(
                request,
                "This bulk edit is no longer open (signed out, or too many opened since): "
                "select the products again.",
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:catalog_product_changelist"))
        return state

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    def bulk_edit_view(self, request: HttpRequest, token: str) -> HttpResponse:
        state = self._state(request, token)
        if isinstance(state, HttpResponse):
            return state
        try:
            selection = selection_resolve(self, request, state["selection"])
        except BulkEditError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:catalog_product_changelist"))
        form = BulkEditForm(
            request.POST if request.method == "POST" else None, admin_site=self.admin_site
        )
        if request.method == "POST" and form.is_valid():
            try:
                operations = form.operations()
            except BulkEditError as exc:  # a category deleted since the form was opened
                form.add_error(None, str(exc))
            else:
                bulk_edit_keep(request, token, operations)
                return HttpResponseRedirect(
                    reverse("admin:catalog_product_bulk_preview", args=[token])
                )
        context = self._context(
            request,
            "Edit many products",
            form=form,
            selection=selection,
            media=form.media,
        )
        return TemplateResponse(request, "admin/catalog/product/bulk_edit.html", context)

    def bulk_preview_view(self, request: HttpRequest, token: str) -> HttpResponse:
        state = self._state(request, token)
        if isinstance(state, HttpResponse):
            return state
        edit_url = reverse("admin:catalog_product_bulk_edit", args=[token])
        operations = [Operation.from_dict(op) for op in state["operations"]]
        if not operations:
            return HttpResponseRedirect(edit_url)
        try:
            preview = bulk_edit_preview(
                selection=selection_resolve(self, request, state["selection"]),
                operations=operations,
            )
        except BulkEditError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(edit_url)
        digest = preview_digest(preview)
        if request.method == "POST":
            if request.POST.get("digest") != digest:
                self.message_user(
                    request,
                    "Products were changed, added or removed since this preview was shown: "
                    "here it is again. Check it, then apply.",
                    messages.WARNING,
                )
            else:
                return self._apply(request, token, preview)
        return TemplateResponse(
            request,
            "admin/catalog/product/bulk_edit_preview.html",
            self._context(
                request,
                "Preview of the bulk edit",
                preview=preview,
                digest=digest,
                edit_url=edit_url,
                page=_preview_page(request, preview),
                errors=preview.errors[:ERRORS_SHOWN],
                errors_more=max(0, len(preview.errors) - ERRORS_SHOWN),
            ),
        )

    def _apply(self, request: HttpRequest, token: str, preview: Preview) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        try:
            job = bulk_edit_create(preview=preview, user=user)
        except BulkEditError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:catalog_product_bulk_preview", args=[token]))
        bulk_edit_forget(request, token)
        job.refresh_from_db(fields=["queued_at", "status"])  # sent (or not) by the commit
        if job.is_active and job.queued_at is None:
            self.message_user(
                request,
                f"{job} is saved, but the message system cannot be reached right now: it "
                "starts once it can (tried again every "
                f"{human_duration(settings.CATALOG_IMPORT_SWEEP_INTERVAL)}).",
                messages.WARNING,
            )
        else:
            self.message_user(
                request,
                f"{job} started: {quantity(job.total, 'product')} to change ({job.summary}).",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:catalog_bulkedit_change", args=[job.pk]))


def _preview_page(request: HttpRequest, preview: Preview) -> Any:
    """One page of the changed products, each change as the editor reads it."""
    page = Paginator(preview.products, PER_PAGE).get_page(request.GET.get("p"))
    tree, names = category_names()
    labels: dict[Any, str] = dict(Product.Status.choices)

    def shown(field: str, value: Any) -> str:
        if value in (None, ""):
            return "none"
        if field == "status":
            return labels.get(value, str(value))
        if field == "category":
            return " / ".join(category_path_names(value, tree, names))
        return str(value)

    page.rows = [  # type: ignore[attr-defined]  # the template's rows, beside the page's own
        {
            "product": item,
            "url": reverse("admin:catalog_product_change", args=[item.product_id]),
            "changes": [
                {
                    "what": f"{FIELD_LABELS.get(c.field, c.field)}"
                    + (f" of {c.variant_sku}" if c.variant_sku else ""),
                    "before": shown(c.field, c.before),
                    "after": shown(c.field, c.after),
                }
                for c in item.changes
            ],
        }
        for item in page.object_list
    ]
    return page
