"""Import and export from the product list, and Catalog > Imports (dry run, confirm, progress).

The product list gets three buttons: Import, Export CSV, Export XLSX. An upload becomes a
``CatalogImport`` whose page shows the dry run's preview (new, changed with each field's
change, unchanged, errors, conflicts), a **Confirm import** button when nothing is wrong,
and the progress while the import worker runs it. Editors may import with the
permissions they edit products with (add and change); the work itself is
``catalog.imports`` (services) and ``catalog.tasks`` (the worker).
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from catalog.admin.import_report import ImportChangeList, report_context
from catalog.imports.files import FORMATS, ImportFileError
from catalog.imports.jobs import (
    ImportStateError,
    catalog_import_cancel,
    catalog_import_confirm,
    catalog_import_upload,
)
from catalog.imports.services import ImportReport, catalog_export, catalog_export_csv_stream
from catalog.models import CatalogImport, Category
from catalog.tasks import catalog_import_queue
from config.admin import ObjectAction, ObjectActionsMixin, ReadOnlyAdmin

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


def may_import(request: HttpRequest) -> bool:
    """Whoever may add and change products may import them (an import does both)."""
    user = request.user
    return user.has_perm("catalog.add_product") and user.has_perm("catalog.change_product")


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="A CSV (UTF-8) or Excel .xlsx file, one row per variant: see the editors' guide."
    )


class ProductImportExportMixin(_ModelAdmin):
    """The product list's Import and Export buttons and their two views."""

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="catalog_product_import",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="catalog_product_export",
            ),
        ]
        return [*urls, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "can_import": may_import(request)}
        # The export follows the list's category filter, if any.
        category = request.GET.get("category__id__exact", "")
        context["export_query"] = f"category={category}&" if category.isdigit() else ""
        return super().changelist_view(request, context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not may_import(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = request.user if request.user.is_authenticated else None
                job = catalog_import_upload(upload=form.cleaned_data["file"], user=user)
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                catalog_import_queue(import_id=job.pk, dry_run=True)
                return HttpResponseRedirect(
                    reverse("admin:catalog_catalogimport_change", args=[job.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": "Import products",
        }
        return TemplateResponse(request, "admin/catalog/product/import.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        fmt = request.GET.get("format", "csv")
        if fmt not in FORMATS:
            fmt = "csv"
        category_id = request.GET.get("category", "")
        slug = None
        if category_id.isdigit():
            slug = (
                Category.objects.filter(pk=int(category_id)).values_list("slug", flat=True).first()
            )
        response: HttpResponse | StreamingHttpResponse
        if fmt == "csv":
            # Streamed: a whole catalog is written as it is read, never held in memory.
            chunks = catalog_export_csv_stream(category_slug=slug)
            response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                catalog_export(fmt=fmt, category_slug=slug),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        name = f"catalog-{slug}" if slug else "catalog"
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


def _confirm(
    model_admin: "CatalogImportAdmin", request: HttpRequest, obj: CatalogImport
) -> HttpResponse:
    try:
        catalog_import_confirm(import_id=obj.pk)
    except ImportStateError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
    else:
        catalog_import_queue(import_id=obj.pk, dry_run=False)
        model_admin.message_user(request, f"Importing {obj.file_name}.", messages.SUCCESS)
    return model_admin.change_page_redirect(obj.pk)


def _cancel(
    model_admin: "CatalogImportAdmin", request: HttpRequest, obj: CatalogImport
) -> HttpResponse:
    try:
        catalog_import_cancel(import_id=obj.pk)
    except ImportStateError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
    else:
        model_admin.message_user(request, "Import cancelled; nothing was saved.", messages.SUCCESS)
    return model_admin.change_page_redirect(obj.pk)


def _permitted(model_admin: Any, request: HttpRequest, obj: Any) -> bool:
    return may_import(request)


def _previewed(model_admin: Any, request: HttpRequest, obj: CatalogImport) -> bool:
    return obj.status == CatalogImport.Status.PREVIEWED


def _cancellable(model_admin: Any, request: HttpRequest, obj: CatalogImport) -> bool:
    return obj.status in (CatalogImport.Status.CHECKING, CatalogImport.Status.PREVIEWED)


_FIELDS = ["file_name", "status", "progress", "created_by", "created_at", "finished_at"]


@admin.register(CatalogImport)
class CatalogImportAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """Imports are started from the product list; here they are previewed, confirmed, watched."""

    list_display = ["id", "file_name", "status", "progress", "created_by", "created_at"]
    list_display_links = ["id", "file_name"]
    list_select_related = ["created_by"]
    list_filter = ["status"]
    list_per_page = 50
    readonly_fields = [*_FIELDS, "outcome", "error"]

    def get_object_actions(self) -> list[ObjectAction]:
        return [
            ObjectAction("confirm", "Confirm import", _confirm, _permitted, _previewed),
            ObjectAction("cancel", "Cancel", _cancel, _permitted, _cancellable),
        ]

    # Editors see imports with the permissions they import with: no permission of its own.
    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_import(request) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_import(request) or super().has_module_permission(request)

    def get_fields(  # type: ignore[override]  # a list of names, as Django allows
        self, request: HttpRequest, obj: Any = None
    ) -> list[str]:
        # The error line is for an unexpected failure only: hidden when there is none.
        return [*_FIELDS, "outcome", *(["error"] if obj is not None and obj.error else [])]

    @admin.display(description="Progress")
    def progress(self, obj: CatalogImport) -> SafeString:
        stage = obj.stage or obj.get_status_display().lower()
        return format_html(
            '<div title="{}%" style="display:inline-block;vertical-align:middle;width:160px;'
            'height:10px;border:1px solid #aaa;border-radius:3px;background:#eee;overflow:hidden">'
            '<div class="import-progress" style="width:{}%;height:100%;background:#2e86c1">'
            "</div></div> "
            "<span>{} {}% &middot; {}/{} products</span>",
            obj.percent,
            obj.percent,
            stage,
            obj.percent,
            f"{obj.done:,}",
            f"{obj.total:,}",
        )

    # The report: its summary here, the rest below the fields (report.html), paged.
    @admin.display(description="Result")
    def outcome(self, obj: CatalogImport) -> SafeString | str:
        if not obj.report:
            return "-"
        return format_html("<strong>{}</strong>", ImportReport.from_dict(obj.report).summary())

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        # Django passes the object by keyword (``obj=``).
        context.update(report_context(request, kwargs.get("obj")))
        return super().render_change_form(request, context, *args, **kwargs)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ImportChangeList]:
        return ImportChangeList
