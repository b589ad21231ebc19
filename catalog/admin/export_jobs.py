"""A large export's two actions, served beside the product list's Export: Download, Stop.

A large export (``catalog.imports.export_jobs``) has no page of its own: the job centre
lists it, with these links. An export is its requester's, as an import is its
uploader's: another's answers 404, as if it did not exist (``catalog.manage_all_imports``
reaches everyone's). Download serves the finished file; Stop is a POST, and goes back to
the page it was pressed on when it says so (``next``, as the object actions do).
"""

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse

from catalog.imports.export_jobs import ExportStateError, catalog_export_cancel, export_path
from catalog.imports.exports import CONTENT_TYPES
from catalog.models import CatalogExport
from config.admin import back_to_next
from config.humanize import quantity

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object

MANAGE_ALL = "catalog.manage_all_imports"


def exports_managed_by(user: AbstractUser | AnonymousUser) -> QuerySet[CatalogExport]:
    """The exports ``user`` may download or stop: their own, or all with the permission."""
    if user.has_perm(MANAGE_ALL):
        return CatalogExport.objects.all()
    if not user.is_authenticated:
        return CatalogExport.objects.none()
    return CatalogExport.objects.filter(created_by_id=user.pk)


def _export_or_404(request: HttpRequest, export_id: int) -> CatalogExport:
    job = exports_managed_by(request.user).filter(pk=export_id).first()
    if job is None:
        raise Http404(f"No export with ID {export_id!r}.")
    return job


class ExportJobsMixin(_ModelAdmin):
    """The product admin's ``export/<id>/download/`` and ``export/<id>/stop/``."""

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "export/<int:export_id>/download/",
                self.admin_site.admin_view(self.export_download_view),
                name="catalog_export_download",
            ),
            path(
                "export/<int:export_id>/stop/",
                self.admin_site.admin_view(self.export_stop_view),
                name="catalog_export_stop",
            ),
        ]
        return [*urls, *super().get_urls()]

    def export_download_view(self, request: HttpRequest, export_id: int) -> FileResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        job = _export_or_404(request, export_id)
        if job.status != CatalogExport.Status.DONE or not job.stored_path:
            raise Http404(f"Export {job.pk} has no file to download.")
        try:
            file = export_path(job).open("rb")
        except FileNotFoundError:
            raise Http404(f"Export {job.pk} has no file to download.") from None
        name = f"catalog-{job.category_slug}" if job.category_slug else "catalog"
        response = FileResponse(
            file, as_attachment=True, filename=f"{name}.{job.format}", content_type=None
        )
        response["Content-Type"] = CONTENT_TYPES.get(job.format, "application/octet-stream")
        return response

    def export_stop_view(self, request: HttpRequest, export_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        job = _export_or_404(request, export_id)
        try:
            job = catalog_export_cancel(export_id=job.pk)
        except ExportStateError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                f"{job} stopped after {quantity(job.done, 'product')}: no file is kept.",
                messages.SUCCESS,
            )
        back = HttpResponseRedirect(reverse("admin:catalog_product_changelist"))
        return back_to_next(request, back)
