"""Catalog > Imports: whose imports a user sees, Confirm and Cancel, and the worker line.

An import is its uploader's: the list shows one's own, and another's answers 404 on its
page, its history and its buttons, as if it did not exist (``catalog.manage_all_imports``
shows everyone's). Editors need no permission of their own to see their imports: the
ones they import with (add and change products) suffice. The report's rendering is
``catalog.admin.imports``; the work is ``catalog.imports.jobs``.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from catalog.imports.heartbeat import cancel_requested, last_sign_of_life, run_is_alive
from catalog.imports.jobs import (
    RUNNING,
    ImportStateError,
    catalog_import_cancel,
    catalog_import_confirm,
    imports_managed_by,
)
from catalog.models import CatalogImport
from config.admin import ObjectAction
from config.humanize import human_duration

if TYPE_CHECKING:
    from config.admin import ObjectActionsMixin

    _Base = ObjectActionsMixin
else:
    _Base = object

MANAGE_ALL = "catalog.manage_all_imports"


def may_import(request: HttpRequest) -> bool:
    """Whoever may add and change products may import them (an import does both)."""
    user = request.user
    return user.has_perm("catalog.add_product") and user.has_perm("catalog.change_product")


def _confirm(model_admin: Any, request: HttpRequest, obj: CatalogImport) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    try:
        job = catalog_import_confirm(import_id=obj.pk, user=user)
    except ImportStateError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
        return model_admin.change_page_redirect(obj.pk)
    job.refresh_from_db(fields=["queued_at", "status"])  # sent (or not) by the commit
    if job.status == CatalogImport.Status.IMPORTING and job.queued_at is None:
        model_admin.message_user(
            request,
            f"{obj.file_name} is confirmed, but the message system cannot be reached right "
            "now: the import starts once it can (tried again every "
            f"{human_duration(settings.CATALOG_IMPORT_SWEEP_INTERVAL)}). You may cancel it.",
            messages.WARNING,
        )
    else:
        model_admin.message_user(request, f"Importing {obj.file_name}.", messages.SUCCESS)
    return model_admin.change_page_redirect(obj.pk)


def _cancel(model_admin: Any, request: HttpRequest, obj: CatalogImport) -> HttpResponse:
    try:
        job = catalog_import_cancel(import_id=obj.pk)
    except ImportStateError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
    else:
        if job.status == CatalogImport.Status.CANCELLED:
            message = "Import cancelled; nothing was saved."
        else:
            message = (
                "Cancelling: the import stops at its next step and saves nothing "
                "(if it finishes first, it stays imported)."
            )
        model_admin.message_user(request, message, messages.SUCCESS)
    return model_admin.change_page_redirect(obj.pk)


# An object reaches the two checks below through get_queryset: one the user manages.
def _may_confirm(model_admin: Any, request: HttpRequest, obj: Any) -> bool:
    return may_import(request)  # confirming writes products: an editor's right


def _may_cancel(model_admin: Any, request: HttpRequest, obj: Any) -> bool:
    return may_import(request) or request.user.has_perm(MANAGE_ALL)


def _previewed(model_admin: Any, request: HttpRequest, obj: CatalogImport) -> bool:
    return obj.status == CatalogImport.Status.PREVIEWED


def _cancellable(model_admin: Any, request: HttpRequest, obj: CatalogImport) -> bool:
    return obj.is_active and not cancel_requested(obj)


def run_state(job: CatalogImport) -> str:
    """The running import's worker, in the editor's words (empty once it ended)."""
    if job.status not in RUNNING:
        return ""
    now = timezone.now()
    attempt = f"attempt {job.attempts} of {settings.CATALOG_IMPORT_MAX_ATTEMPTS}"
    if cancel_requested(job):
        return "Cancel requested: the import stops at its next step and saves nothing."
    if job.heartbeat_at is None:
        if job.queued_at is None:
            return (
                "Not sent yet (the message system could not be reached): tried again "
                f"every {human_duration(settings.CATALOG_IMPORT_SWEEP_INTERVAL)}."
            )
        return f"Waiting to start (queued {human_duration(now - job.queued_at)} ago)."
    seen = last_sign_of_life(job) or job.heartbeat_at
    if run_is_alive(job, now=now):
        return f"Running ({attempt})."
    return (
        "Its background process has not been heard from for "
        f"{human_duration(now - seen)} ({attempt}): "
        "it is run again, or failed after the last attempt, within "
        f"{human_duration(settings.CATALOG_IMPORT_SWEEP_INTERVAL)}. Cancel ends it now."
    )


class ImportJobsMixin(_Base):
    """Ownership, the Confirm and Cancel buttons and the worker line of ``CatalogImportAdmin``."""

    def get_object_actions(self) -> list[ObjectAction]:
        return [
            ObjectAction("confirm", "Confirm import", _confirm, _may_confirm, _previewed),
            ObjectAction("cancel", "Cancel", _cancel, _may_cancel, _cancellable),
        ]

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return (
            may_import(request)
            or request.user.has_perm(MANAGE_ALL)
            or super().has_view_permission(request, obj)
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CatalogImport]:
        return super().get_queryset(request) & imports_managed_by(request.user)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self.object_or_404(request, object_id)  # another's import: 404
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self.object_or_404(request, object_id)  # another's import: 404
        return super().history_view(request, object_id, extra_context)

    @admin.display(description="Background process")
    def worker(self, obj: CatalogImport) -> str:
        return run_state(obj)

    @admin.display(description="After the import")
    def not_sent(self, obj: CatalogImport) -> str:
        """What the import's commit could not send on, and what follows instead."""
        return obj.unsent
