"""Import and export from the product list, and Catalog > Imports (dry run, confirm, progress).

The product list gets three buttons: Import, Export CSV, Export XLSX. An upload becomes a
``CatalogImport`` whose page shows the dry run's preview (new, changed with each field's
change, unchanged, errors, conflicts), a **Confirm import** button when nothing is wrong,
and the progress while the import worker runs it. Editors may import with the
permissions they edit products with (add and change), and see their own imports only;
ownership, Confirm and Cancel are ``catalog.admin.import_jobs``; the work itself is
``catalog.imports`` (services) and ``catalog.tasks`` (the worker).
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from catalog.admin.export_jobs import ExportJobsMixin
from catalog.admin.import_jobs import ImportJobsMixin, may_import
from catalog.admin.import_report import ImportChangeList, report_context
from catalog.imports.export_jobs import ExportStateError, catalog_export_request, request_message
from catalog.imports.export_slots import ExportBusy
from catalog.imports.exports import catalog_export_download
from catalog.imports.files import FORMATS, ImportFileError
from catalog.imports.jobs import ImportQuotaError, catalog_import_upload
from catalog.imports.problems import error_report_csv
from catalog.imports.progress import progress_words
from catalog.imports.services import ImportReport
from catalog.imports.uploads import upload_refusal
from catalog.models import CatalogImport, Category
from config.admin import ObjectActionsMixin, ReadOnlyAdmin

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="A CSV (UTF-8) or Excel .xlsx file, one row per variant: see the editors' guide."
    )


class ProductImportExportMixin(ExportJobsMixin, _ModelAdmin):
    """The product list's Import and Export buttons and their two views (a large export's
    Download and Stop: ``ExportJobsMixin``)."""

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
        posted = request.method == "POST"
        form = ImportForm(request.POST, request.FILES) if posted else ImportForm()
        if posted and (refusal := upload_refusal(request)):
            form.is_valid()
            form.errors["file"] = form.error_class([refusal])  # not "This field is required."
        elif posted and form.is_valid():
            try:
                user = request.user if request.user.is_authenticated else None
                job = catalog_import_upload(upload=form.cleaned_data["file"], user=user)
            except (ImportFileError, ImportQuotaError) as exc:
                form.add_error("file", str(exc))
            else:  # its dry run was queued by the upload's commit
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
        category = None
        if category_id.isdigit():
            category = Category.objects.filter(pk=int(category_id)).first()
        slug = category.slug if category else None
        # Back to the list it was started from, with a message on top.
        query = f"?category__id__exact={category_id}" if category else ""
        back = HttpResponseRedirect(reverse("admin:catalog_product_changelist") + query)
        user = request.user if request.user.is_authenticated else None
        try:
            job = catalog_export_request(fmt=fmt, category=category, user=user)
        except ExportStateError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return back
        if job is not None:  # a large one: prepared in the background, listed on Jobs
            self.message_user(request, request_message(job), messages.SUCCESS)
            return back
        try:
            download = catalog_export_download(fmt=fmt, category_slug=slug, user_id=request.user.pk)
        except ExportBusy as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return back
        # Streamed: the CSV as it is written, the XLSX from its temporary file; closing the
        # response frees the export's slot (also when the client goes away).
        response = StreamingHttpResponse(download.chunks, content_type=download.content_type)
        name = f"catalog-{slug}" if slug else "catalog"
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


_FIELDS = [
    "file_name",
    "status",
    "progress",
    "created_by",
    "created_at",
    "confirmed_by",
    "confirmed_at",
    "finished_at",
]


@admin.register(CatalogImport)
class CatalogImportAdmin(ImportJobsMixin, ObjectActionsMixin, ReadOnlyAdmin):
    """Imports are started from the product list; here they are previewed, confirmed, watched."""

    list_display = ["id", "file_name", "status", "progress", "created_by", "created_at"]
    list_display_links = ["id", "file_name"]
    list_select_related = ["created_by"]
    list_filter = ["status"]
    list_per_page = 50
    readonly_fields = [*_FIELDS, "worker", "outcome", "not_sent", "error"]

    def get_fields(  # type: ignore[override]  # a list of names, as Django allows
        self, request: HttpRequest, obj: Any = None
    ) -> list[str]:
        # The worker line is for a running import (ImportJobsMixin), the error line for an
        # unexpected failure only: each hidden when there is nothing to say.
        worker = ["worker"] if obj is not None and self.worker(obj) else []
        unsent = ["not_sent"] if obj is not None and obj.unsent else []
        error = ["error"] if obj is not None and obj.error else []
        return [*_FIELDS, *worker, "outcome", *unsent, *error]

    @admin.display(description="Progress")
    def progress(self, obj: CatalogImport) -> SafeString:
        # A <progress> (editors/admin.css), not a box sized by a style attribute: the
        # Content-Security-Policy blocks those.
        return format_html(
            '<progress class="progress-bar progress-wide import-progress" max="100" value="{}" '
            'title="{}%" aria-hidden="true"></progress> <span>{}</span>',
            obj.percent,
            obj.percent,
            progress_words(obj),
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

    def get_urls(self) -> list[URLPattern]:
        report = path(
            "<path:object_id>/report/",
            self.admin_site.admin_view(self.report_view),
            name="catalog_catalogimport_report",
        )
        return [report, *super().get_urls()]

    def report_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The import's problems as a CSV file (another's import: 404; none found: 404)."""
        job = self.object_or_404(request, object_id)
        report = ImportReport.from_dict(job.report) if job.report else None
        if report is None or report.ok:
            raise Http404(f"Import {job.pk} found no problem.")
        response = HttpResponse(error_report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response
