"""An import from the admin: upload, dry run, confirm, import, each step a ``CatalogImport``.

The web request only stores the file and records the import; the dry run and the
import run in the import worker (``catalog.tasks``), which calls ``catalog_import_run``
here. The file is removed as soon as the import ends: imported, refused, failed or
cancelled (a dry run that found nothing wrong keeps it for the confirmation).

An import is its uploader's: only they, or a holder of ``catalog.manage_all_imports``,
see, confirm or cancel it (``imports_managed_by``). Whoever confirms it is named by the
history of its writes. A step's run claims the job first (``_claim``): a message
delivered twice, or sent again by the sweep (``catalog.imports.sweep``), never runs
beside a live run, and every end is written only from the state the run expected, so
a late run never overwrites a Cancel. Signs of life and the cancel check: ``runs``.
"""

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AbstractUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from catalog.imports.files import ImportFileError, file_format, max_bytes
from catalog.imports.runs import (
    BEAT_SECONDS,
    ImportCancelled,
    RunMonitor,
    cancel_marker,
    cancel_requested,
    run_is_alive,
    upload_path,
)
from catalog.imports.services import ImportReport, catalog_import
from catalog.models import CatalogImport
from config.humanize import human_duration

logger = logging.getLogger(__name__)

Status = CatalogImport.Status

#: Under ``VAR_DIR``: uploads waiting for their import to end.
UPLOAD_DIR = "imports"
#: An upload kept waiting for its editor: counted by the per-editor quota.
KEPT = (Status.CHECKING, Status.PREVIEWED)
#: A worker runs these: they end by themselves, or the sweep sees their worker lost.
RUNNING = (Status.CHECKING, Status.IMPORTING)


class ImportStateError(ValueError):
    """The import is not in a state that allows this step (e.g. confirm twice)."""


class ImportQuotaError(ValueError):
    """The editor keeps as many uploads waiting as allowed: one must be confirmed or cancelled."""


def imports_managed_by(user: AbstractUser | AnonymousUser) -> QuerySet[CatalogImport]:
    """The imports ``user`` may see, confirm or cancel: their own, or all with the permission."""
    if user.has_perm("catalog.manage_all_imports"):
        return CatalogImport.objects.all()
    if not user.is_authenticated:
        return CatalogImport.objects.none()
    return CatalogImport.objects.filter(created_by_id=user.pk)


def catalog_import_upload(*, upload: UploadedFile, user: AbstractBaseUser | None) -> CatalogImport:
    """Store an uploaded file and record its import, ready for the dry run.

    Raises ``ImportFileError`` for a file refused by its name or size alone, and
    ``ImportQuotaError`` when ``user`` already keeps ``CATALOG_IMPORT_MAX_KEPT_PREVIEWS``
    uploads waiting (``user`` None: a caller of the system's own, no quota).
    """
    name = Path(upload.name or "upload").name[:255]
    fmt = file_format(name)
    if (upload.size or 0) > max_bytes():
        raise ImportFileError(
            f"{name} is {(upload.size or 0) / 1e6:.1f} MB; the largest file accepted is "
            f"{max_bytes() / 1e6:.1f} MB."
        )
    catalog_imports_abandoned_cancel()
    if user is not None:
        _check_quota(user)  # before writing the file; checked again under a lock below
    stored = f"{UPLOAD_DIR}/{uuid.uuid4().hex}.{fmt}"
    target = Path(settings.VAR_DIR) / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        with transaction.atomic():
            if user is not None:
                # Two uploads of one editor at once: one waits here, then counts the other.
                get_user_model().objects.select_for_update().filter(pk=user.pk).first()
                _check_quota(user)
            return CatalogImport.objects.create(
                file_name=name,
                stored_path=stored,
                created_by_id=None if user is None else user.pk,
                status=Status.CHECKING,
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _check_quota(user: AbstractBaseUser) -> None:
    limit = settings.CATALOG_IMPORT_MAX_KEPT_PREVIEWS
    kept = list(
        CatalogImport.objects.filter(created_by_id=user.pk, status__in=KEPT).order_by(
            "created_at", "pk"
        )
    )
    if len(kept) < limit:
        return
    names = ", ".join(f"{job.file_name} (import {job.pk})" for job in kept)
    raise ImportQuotaError(
        f"You already have {len(kept)} uploads waiting, the most kept at once: {names}. "
        "Confirm or cancel one of them in Catalog > Imports first."
    )


def catalog_imports_abandoned_cancel() -> int:
    """Cancel dry runs neither confirmed nor cancelled within the preview's lifetime.

    Called by the sweep, and by each upload; returns how many were cancelled.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.CATALOG_IMPORT_PREVIEW_MAX_AGE)
    abandoned = CatalogImport.objects.filter(status=Status.PREVIEWED, created_at__lt=cutoff)
    return sum(
        catalog_import_end(job, Status.CANCELLED, expected=[Status.PREVIEWED]) for job in abandoned
    )


def catalog_import_end(
    job: CatalogImport, status: str, *, expected: Iterable[str], **fields: Any
) -> bool:
    """Move the job from one of ``expected`` to the final ``status`` and remove its file.

    Written only from ``expected``: of a run, a Cancel and the sweep, the first to end
    the job wins and the others leave it alone. Returns whether this call ended it.
    """
    now = timezone.now()
    updated = CatalogImport.objects.filter(pk=job.pk, status__in=list(expected)).update(
        status=status, stored_path="", finished_at=now, **fields
    )
    if updated:
        if job.stored_path:
            upload_path(job).unlink(missing_ok=True)
            cancel_marker(job).unlink(missing_ok=True)
        job.status, job.stored_path, job.finished_at = status, "", now
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(updated)


def catalog_import_mark_queued(*, import_id: int) -> None:
    """The step's message reached the broker (until then the sweep sends it again)."""
    CatalogImport.objects.filter(pk=import_id, status__in=RUNNING).update(queued_at=timezone.now())


@transaction.atomic
def catalog_import_confirm(
    *, import_id: int, user: AbstractBaseUser | None = None
) -> CatalogImport:
    """The editor confirmed the dry run: the import may run (the caller queues it).

    ``user`` is recorded as the one who confirmed: the history of the import's writes
    names them (None: the uploader, as for a caller of the system's own).
    """
    job = CatalogImport.objects.select_for_update().get(pk=import_id)
    if job.status != Status.PREVIEWED:
        raise ImportStateError(f"This import is {job.get_status_display().lower()}.")
    job.status = Status.IMPORTING
    job.stage, job.done, job.total = "", 0, 0
    job.confirmed_by_id = None if user is None else user.pk
    job.confirmed_at = timezone.now()
    job.queued_at = job.heartbeat_at = job.cancel_requested_at = None
    job.attempts = 0
    job.save(
        update_fields=[
            "status",
            "stage",
            "done",
            "total",
            "confirmed_by",
            "confirmed_at",
            "queued_at",
            "heartbeat_at",
            "cancel_requested_at",
            "attempts",
        ]
    )
    return job


def catalog_import_cancel(*, import_id: int) -> CatalogImport:
    """Cancel an import that has not ended: at once, or at the running import's next step.

    A preview, a dry run, or a step no live worker runs (never started, or its worker
    lost) ends Cancelled now, its file removed. An import being written by a live worker
    gets a cancel request: the run sees it between two chunks and rolls back, saving
    nothing (``cancel_requested_at`` set, status still Importing until then).
    """
    job = CatalogImport.objects.get(pk=import_id)  # a plain read: never waits for a lock
    if connection.vendor == "sqlite" and job.status == Status.IMPORTING and run_is_alive(job):
        # The run may hold SQLite's one write lock for minutes: ask beside its upload.
        if upload_path(job).exists():
            cancel_marker(job).touch()
        return job
    return _cancel(import_id=import_id)


@transaction.atomic
def _cancel(*, import_id: int) -> CatalogImport:
    job = CatalogImport.objects.select_for_update().get(pk=import_id)
    if job.status not in CatalogImport.ACTIVE:
        raise ImportStateError(f"This import is {job.get_status_display().lower()}.")
    if job.status == Status.IMPORTING and run_is_alive(job):
        if job.cancel_requested_at is None:
            job.cancel_requested_at = timezone.now()
            job.save(update_fields=["cancel_requested_at"])
    else:
        catalog_import_end(job, Status.CANCELLED, expected=CatalogImport.ACTIVE)
    return job


def import_reason(job: CatalogImport) -> str:
    """The history's change reason: the file, and its uploader when another confirmed it."""
    uploader = job.created_by
    suffix = ""
    if uploader is not None and job.confirmed_by_id not in (None, uploader.pk):
        suffix = f" (uploaded by {uploader.get_username()})"[:60]
        if not suffix.endswith(")"):
            suffix = suffix[:-2] + "…)"
    name = job.file_name
    room = 100 - len("Import of ") - len(suffix)  # history_change_reason is a CharField(100)
    if len(name) > room:
        name = name[: room - 1] + "…"
    return f"Import of {name}{suffix}"


def lost_worker_error(attempts: int) -> str:
    return (
        f"Its import worker was lost during each of {attempts} attempts (killed, out of "
        "memory, or over the time limit of "
        f"{human_duration(settings.CATALOG_IMPORT_TIME_LIMIT)}): nothing was saved. "
        "See the import worker's log."
    )


def _claim(*, import_id: int, expected: str) -> CatalogImport | None:
    """Take the job's current step for this run, or None if it is not this run's to do.

    Not to do: the job is past ``expected`` (a message delivered again), cancelled, or
    run by a live worker (a message sent twice). A run whose worker died moments ago
    still looks alive: wait until its signs of life go stale, then take over.
    """
    give_up = time.monotonic() + settings.CATALOG_IMPORT_STALE_AFTER + 2 * BEAT_SECONDS
    while True:
        job = (
            CatalogImport.objects.select_related("created_by", "confirmed_by")
            .filter(pk=import_id)
            .first()
        )
        if job is None or job.status != expected:
            return None
        if cancel_requested(job):
            catalog_import_end(job, Status.CANCELLED, expected=[expected])
            return None
        if run_is_alive(job):
            if time.monotonic() > give_up:
                return None  # it kept beating: another worker runs it
            time.sleep(BEAT_SECONDS)
            continue
        if job.attempts >= settings.CATALOG_IMPORT_MAX_ATTEMPTS:
            catalog_import_end(
                job, Status.FAILED, expected=[expected], error=lost_worker_error(job.attempts)
            )
            return None
        now = timezone.now()
        taken = CatalogImport.objects.filter(
            pk=job.pk, status=expected, attempts=job.attempts
        ).update(attempts=F("attempts") + 1, heartbeat_at=now)
        if taken:
            job.attempts += 1
            job.heartbeat_at = now
            return job


def catalog_import_run(*, import_id: int, dry_run: bool) -> None:
    """The import worker's step: the dry run of a new upload, or the confirmed import.

    Safe to deliver twice: a run claims the job first (``_claim``). An import whose
    worker was lost rolled back whole (its transaction died with its connection) and
    runs again from the start; one cancelled between two chunks rolls back too.
    """
    expected = Status.CHECKING if dry_run else Status.IMPORTING
    job = _claim(import_id=import_id, expected=expected)
    if job is None:
        return
    path = upload_path(job)
    if not job.stored_path or not path.is_file():
        error = "The uploaded file is gone (removed from VAR_DIR/imports)."
        catalog_import_end(job, Status.FAILED, expected=[expected], error=error)
        return
    try:
        with RunMonitor(job, expected=expected) as monitor:
            report = catalog_import(
                path=path,
                file_name=job.file_name,
                user=job.confirmed_by or job.created_by,
                reason=import_reason(job),
                dry_run=dry_run,
                on_progress=monitor,
            )
    except ImportCancelled:
        logger.info("Import %s of %s cancelled; nothing saved", job.pk, job.file_name)
        catalog_import_end(job, Status.CANCELLED, expected=[expected])
        return
    except Exception as exc:
        logger.exception("Import %s of %s failed", job.pk, job.file_name)
        catalog_import_end(
            job, Status.FAILED, expected=[expected], error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return
    _record(job, report, expected=expected)


def _record(job: CatalogImport, report: ImportReport, *, expected: str) -> None:
    fields = {
        "report": report.as_dict(),
        "stage": "",
        "done": report.products,
        "total": report.products,
    }
    if report.dry_run and report.ok:
        CatalogImport.objects.filter(pk=job.pk, status=expected).update(
            status=Status.PREVIEWED, **fields
        )
    elif report.applied:
        # Committed: that is what happened, whatever a Cancel or the sweep concluded from
        # a worker that looked lost meanwhile.
        catalog_import_end(
            job,
            Status.DONE,
            expected=[Status.IMPORTING, Status.CANCELLED, Status.FAILED],
            error="",
            **fields,
        )
    else:
        catalog_import_end(job, Status.REFUSED, expected=[expected], **fields)
