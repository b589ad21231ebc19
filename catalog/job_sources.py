"""The catalog's jobs for the job centre (``config.jobs``): imports, bulk edits, and the
large exports prepared in the background.

Registered in ``CatalogConfig.ready()``. Each source reads its latest ``limit`` jobs
(the one query, plus the owners' names in it), says each job's status in the common
words and offers the links its own admin pages would: the job's page and Stop where the
asker may open them (another's import answers 404 there, so no link to it), an import's
error report once it was refused, a bulk edit's Undo once it may be undone. Stop posts to
the kind's own action (``catalog.admin.import_jobs``, ``catalog.admin.bulk_edit_jobs``,
``catalog.admin.export_jobs``): nothing here stops a job itself. An export has no page:
its row offers Download once its file is ready.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from catalog.imports.jobs import RUNNING, imports_managed_by
from catalog.models import BulkEdit, CatalogExport, CatalogImport
from config.jobs import JobQuery, JobRow, JobStatus, eta_seconds

ImportStatus = CatalogImport.Status
EditStatus = BulkEdit.Status

#: The permissions the import pages ask (``catalog.admin.import_jobs``).
MANAGE_ALL_IMPORTS = "catalog.manage_all_imports"
BULK_EDIT = "catalog.bulk_edit_product"

_IMPORT_ENDS = {
    ImportStatus.DONE: JobStatus.DONE,
    # Refused: the file has errors, nothing was saved; its report says which.
    ImportStatus.REFUSED: JobStatus.FAILED,
    ImportStatus.FAILED: JobStatus.FAILED,
    # An import stopped mid-way rolls back: nothing was saved.
    ImportStatus.CANCELLED: JobStatus.CANCELLED,
}


def import_status(job: CatalogImport) -> JobStatus:
    """An import in the common words: waiting for a worker (or for its editor's Confirm)
    is queued, a worker on it is running."""
    if job.status in _IMPORT_ENDS:
        return _IMPORT_ENDS[ImportStatus(job.status)]
    if job.status == ImportStatus.PREVIEWED or job.heartbeat_at is None:
        return JobStatus.QUEUED
    return JobStatus.RUNNING


def bulk_edit_status(job: BulkEdit) -> JobStatus:
    """A bulk edit in the common words: one cancelled after it changed products stopped
    (what it changed stays changed, and can be undone)."""
    if job.status == EditStatus.CANCELLED:
        return JobStatus.STOPPED if job.done else JobStatus.CANCELLED
    return JobStatus(str(job.status))


def _may_import(user: AbstractUser | AnonymousUser) -> bool:
    return user.has_perm("catalog.add_product") and user.has_perm("catalog.change_product")


def _import_note(job: CatalogImport) -> str:
    if job.status == ImportStatus.PREVIEWED:
        return "Checked, waiting for Confirm"
    if job.status == ImportStatus.REFUSED:
        return "The file has errors: nothing was saved"
    if job.status in RUNNING and job.cancel_requested_at is not None:
        return "Cancel requested"
    if job.status == ImportStatus.IMPORTING:
        return "Saving" if job.stage == "writing" else "Checking again"
    if job.status == ImportStatus.CHECKING:
        return "Checking the file"
    return ""


def import_jobs(query: JobQuery) -> list[JobRow]:
    """The latest imports: the asker's own, or everyone's (the job centre's permission)."""
    user = query.user
    if not user.is_authenticated:
        return []
    imports = CatalogImport.objects.all() if query.everyone else imports_managed_by(user)
    managed = user.has_perm(MANAGE_ALL_IMPORTS)
    may_cancel = _may_import(user) or managed
    now = timezone.now()
    rows = []
    latest = imports.select_related("created_by").defer("report").order_by("-created_at", "-id")
    for job in latest[: query.limit]:
        visible = managed or job.created_by_id == user.pk
        status = import_status(job)
        started = job.confirmed_at if job.status == ImportStatus.IMPORTING else job.created_at
        stoppable = job.is_active and job.cancel_requested_at is None
        rows.append(
            _row(
                "Import",
                job,
                status,
                started=started,
                now=now,
                what=str(job),
                note=_import_note(job),
                url=_admin_url("catalog_catalogimport_change", job.pk) if visible else "",
                stop_url=_admin_url("catalog_catalogimport_cancel", job.pk)
                if visible and may_cancel and stoppable
                else "",
                report_url=_admin_url("catalog_catalogimport_report", job.pk)
                if visible and job.status == ImportStatus.REFUSED
                else "",
            )
        )
    return rows


def _bulk_edit_note(job: BulkEdit) -> str:
    """Where its undo stands (asked for, the worker runs it), else what it left alone."""
    if job.undo_active:
        return f"Undoing: {job.undo_percent}%"
    if job.undo_status == BulkEdit.Status.FAILED:
        return "Undo failed: ask again to go on"
    if job.undone_at is not None:
        return "Undone"
    if job.conflicts:
        return f"{job.conflicts:,} left as others saved them"
    return ""


def bulk_edit_jobs(query: JobQuery) -> list[JobRow]:
    """The latest bulk edits: the asker's own, or everyone's (the job centre's permission)."""
    from catalog.admin.bulk_edit_jobs import may_undo  # the admin's rule, read when asked

    user = query.user
    if not user.is_authenticated:
        return []
    edits = BulkEdit.objects.all()
    if not query.everyone:
        edits = edits.filter(created_by_id=user.pk)
    # The bulk edit pages show a superuser everyone's, an editor their own.
    superuser = bool(getattr(user, "is_superuser", False))
    may_edit = user.has_perm(BULK_EDIT)
    now = timezone.now()
    rows = []
    latest = (
        edits.select_related("created_by")
        .defer("versions", "operations", "conflict_skus")
        .order_by("-created_at", "-id")
    )
    for job in latest[: query.limit]:
        visible = superuser or job.created_by_id == user.pk
        status = bulk_edit_status(job)
        rows.append(
            _row(
                "Bulk edit",
                job,
                status,
                started=job.started_at,
                now=now,
                what=f"{job.summary} ({job.selection})",
                note=_bulk_edit_note(job),
                url=_admin_url("catalog_bulkedit_change", job.pk) if visible else "",
                stop_url=_admin_url("catalog_bulkedit_cancel", job.pk)
                if visible and may_edit and job.is_active
                else "",
                undo_url=_admin_url("catalog_bulkedit_undo", job.pk)
                if visible and may_edit and may_undo(job)
                else "",
            )
        )
    return rows


def export_status(job: CatalogExport) -> JobStatus:
    """An export in the common words (its statuses are the common ones)."""
    return JobStatus(str(job.status))


def _export_note(job: CatalogExport) -> str:
    if job.status == CatalogExport.Status.DONE:
        return "Ready to download" if job.stored_path else "File removed (kept a few days)"
    return ""


def export_jobs(query: JobQuery) -> list[JobRow]:
    """The latest large exports: the asker's own, or everyone's."""
    user = query.user
    if not user.is_authenticated:
        return []
    exports = CatalogExport.objects.all()
    if not query.everyone:
        exports = exports.filter(created_by_id=user.pk)
    managed = user.has_perm(MANAGE_ALL_IMPORTS)
    now = timezone.now()
    rows = []
    latest = exports.select_related("created_by").defer("error").order_by("-created_at", "-id")
    for job in latest[: query.limit]:
        visible = managed or job.created_by_id == user.pk
        status = export_status(job)
        ready = visible and job.status == CatalogExport.Status.DONE and job.stored_path
        rows.append(
            _row(
                "Export",
                job,
                status,
                started=job.started_at,
                now=now,
                what=str(job),
                note=_export_note(job),
                result_url=_admin_url("catalog_export_download", job.pk) if ready else "",
                stop_url=_admin_url("catalog_export_stop", job.pk)
                if visible and job.is_active
                else "",
            )
        )
    return rows


# --- A user's own jobs in progress, for the count beside every page's Jobs link ---


def imports_in_progress(user: AbstractUser | AnonymousUser) -> QuerySet[CatalogImport]:
    """Being checked or imported (one waiting for its editor's Confirm is not counted)."""
    return CatalogImport.objects.filter(created_by_id=user.pk, status__in=RUNNING)


def bulk_edits_in_progress(user: AbstractUser | AnonymousUser) -> QuerySet[BulkEdit]:
    return BulkEdit.objects.filter(created_by_id=user.pk, status__in=BulkEdit.ACTIVE)


def exports_in_progress(user: AbstractUser | AnonymousUser) -> QuerySet[CatalogExport]:
    return CatalogExport.objects.filter(created_by_id=user.pk, status__in=CatalogExport.ACTIVE)


def _row(
    kind: str,
    job: CatalogImport | BulkEdit | CatalogExport,
    status: JobStatus,
    *,
    started: datetime | None,
    now: datetime,
    **words_and_links: str,
) -> JobRow:
    """What every catalog job fills alike: its owner, its products done of total, its
    moments, and the time left at its pace while it runs."""
    running = status == JobStatus.RUNNING
    return JobRow(
        kind=kind,
        id=job.pk,
        who=job.created_by.get_username() if job.created_by else "-",
        status=status,
        done=job.done,
        total=job.total,
        unit="product",
        created_at=job.created_at,
        started_at=started,
        finished_at=job.finished_at,
        eta=eta_seconds(done=job.done, total=job.total, started_at=started, now=now)
        if running
        else None,
        **words_and_links,
    )


def _admin_url(name: str, pk: int) -> str:
    return reverse(f"admin:{name}", args=[pk])
