"""An import from the admin: upload, dry run, confirm, import, each step a ``CatalogImport``.

The web request only stores the file and records the import; the dry run and the
import run in the import worker (``catalog.tasks``), which calls
``runs.catalog_import_run``. The file is removed as soon as the import ends: imported,
refused, failed or cancelled (a dry run that found nothing wrong keeps it for the
confirmation).

An import is its uploader's: only they, or a holder of ``catalog.manage_all_imports``,
see, confirm or cancel it (``imports_managed_by``). Whoever confirms it is named by the
history of its writes. Every end is written only from the state its writer expected
(``catalog_import_end``): of a run, a Cancel and the sweep, the first wins, so a late
run never overwrites a Cancel. The worker's side: ``runs``; signs of life and the
cancel check: ``heartbeat``; no import waiting forever: ``sweep``.

Each step's message goes out through ``import_steps`` (``config.outbox``) once the
upload or the confirm has committed; the job records when it reached the broker
(``queued_at``), and the sweep sends a step whose message never left.
"""

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
from django.db.models import QuerySet
from django.utils import timezone

from catalog.imports.files import ImportFileError, file_format, max_bytes
from catalog.imports.heartbeat import (
    cancel_marker,
    run_is_alive,
    upload_path,
)
from catalog.models import CatalogImport
from config.outbox import Outbox

Status = CatalogImport.Status

#: Under ``VAR_DIR``: uploads waiting for their import to end.
UPLOAD_DIR = "imports"
#: An upload kept waiting for its editor: counted by the per-editor quota.
KEPT = (Status.CHECKING, Status.PREVIEWED)
#: A worker runs these: they end by themselves, or the sweep sees their worker lost.
RUNNING = (Status.CHECKING, Status.IMPORTING)


#: Import id -> dry run (the upload's check) or not (the confirmed import), sent after commit.
import_steps: Outbox[int] = Outbox(
    "import steps",
    send="catalog.tasks.send_import_steps",
    what=("import step", "import steps"),
    repair="the import sweep sends the waiting steps once the broker is back",
)


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
    """Store an uploaded file and record its import; its dry run is queued once committed.

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
            job = CatalogImport.objects.create(
                file_name=name,
                stored_path=stored,
                created_by_id=None if user is None else user.pk,
                status=Status.CHECKING,
            )
            import_steps.add(job.pk, True)  # the dry run
            return job
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
    """The editor confirmed the dry run: the import is queued once this commits.

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
    import_steps.add(job.pk, False)
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
