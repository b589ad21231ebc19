"""An import from the admin: upload, dry run, confirm, import, each step a ``CatalogImport``.

The web request only stores the file and records the import; the dry run and the
import run in the import worker (``catalog.tasks``), which calls ``catalog_import_run``
here. The file is removed as soon as the import ends: imported, refused, failed or
cancelled (a dry run that found nothing wrong keeps it for the confirmation).
"""

import logging
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from catalog.imports.files import ImportFileError, file_format, max_bytes
from catalog.imports.services import ImportReport, catalog_import
from catalog.models import CatalogImport

logger = logging.getLogger(__name__)

#: Under ``VAR_DIR``: uploads waiting for their import to end.
UPLOAD_DIR = "imports"
#: An upload previewed but neither confirmed nor cancelled is removed after this long.
ABANDONED_AFTER_SECONDS = 24 * 3600


class ImportStateError(ValueError):
    """The import is not in a state that allows this step (e.g. confirm twice)."""


def _path(job: CatalogImport) -> Path:
    return Path(settings.VAR_DIR) / job.stored_path


def _remove_file(job: CatalogImport) -> None:
    if job.stored_path:
        _path(job).unlink(missing_ok=True)
        job.stored_path = ""


def catalog_import_upload(*, upload: UploadedFile, user: AbstractBaseUser | None) -> CatalogImport:
    """Store an uploaded file and record its import, ready for the dry run.

    Raises ``ImportFileError`` for a file refused by its name or size alone.
    """
    name = Path(upload.name or "upload").name[:255]
    fmt = file_format(name)
    if (upload.size or 0) > max_bytes():
        raise ImportFileError(
            f"{name} is {(upload.size or 0) / 1e6:.1f} MB; the largest file accepted is "
            f"{max_bytes() / 1e6:.1f} MB."
        )
    _remove_abandoned()
    stored = f"{UPLOAD_DIR}/{uuid.uuid4().hex}.{fmt}"
    target = Path(settings.VAR_DIR) / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return CatalogImport.objects.create(
        file_name=name,
        stored_path=stored,
        created_by_id=None if user is None else user.pk,
        status=CatalogImport.Status.CHECKING,
    )


def _remove_abandoned() -> None:
    cutoff = timezone.now() - timedelta(seconds=ABANDONED_AFTER_SECONDS)
    for job in CatalogImport.objects.filter(
        status=CatalogImport.Status.PREVIEWED, created_at__lt=cutoff
    ):
        _finish(job, CatalogImport.Status.CANCELLED)


def _finish(job: CatalogImport, status: str) -> None:
    _remove_file(job)
    job.status = status
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "stored_path", "finished_at", "report", "error"])


@transaction.atomic
def catalog_import_confirm(*, import_id: int) -> CatalogImport:
    """The editor confirmed the dry run: the import may run (the caller queues it)."""
    job = CatalogImport.objects.select_for_update().get(pk=import_id)
    if job.status != CatalogImport.Status.PREVIEWED:
        raise ImportStateError(f"This import is {job.get_status_display().lower()}.")
    job.status = CatalogImport.Status.IMPORTING
    job.stage, job.done, job.total = "", 0, 0
    job.save(update_fields=["status", "stage", "done", "total"])
    return job


@transaction.atomic
def catalog_import_cancel(*, import_id: int) -> CatalogImport:
    """Drop an import that has not started writing, and its file."""
    job = CatalogImport.objects.select_for_update().get(pk=import_id)
    if job.status not in (CatalogImport.Status.CHECKING, CatalogImport.Status.PREVIEWED):
        raise ImportStateError(f"This import is {job.get_status_display().lower()}.")
    _finish(job, CatalogImport.Status.CANCELLED)
    return job


class _ProgressWriter:
    """Writes an import's progress on a connection of its own, in autocommit.

    The import's own transaction stays open until it ends, and nothing it writes is
    visible before then: the progress bar must be written beside it. At most one write
    a second. SQLite allows one writer at a time, so there the bar only moves outside
    the import's transaction (it jumps at the end).
    """

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id
        self.last = 0.0
        self.connection: BaseDatabaseWrapper | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 1 and done < total:
            return
        self.last = now
        main = connections[DEFAULT_DB_ALIAS]
        if main.vendor == "sqlite" and main.in_atomic_block:
            return
        try:
            self._write(stage, done, total)
        except DatabaseError as exc:  # the bar is a courtesy: never fail the import for it
            logger.warning("Import %s: progress not written (%s)", self.import_id, exc)

    def _write(self, stage: str, done: int, total: int) -> None:
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
            if self.connection.vendor == "mysql":
                with self.connection.cursor() as cursor:
                    # Never wait long for the row (locked only by a confirm, for a moment).
                    cursor.execute("SET SESSION innodb_lock_wait_timeout = 2")
        quote = self.connection.ops.quote_name
        table = quote(CatalogImport._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {quote('stage')} = %s, {quote('done')} = %s, "
                f"{quote('total')} = %s WHERE {quote('id')} = %s",
                [stage, done, total, self.import_id],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def catalog_import_run(*, import_id: int, dry_run: bool) -> None:
    """The import worker's step: the dry run of a new upload, or the confirmed import.

    Idempotent: a message delivered again finds the import past the state it expects
    and does nothing; an import interrupted by a lost worker rolled back whole and runs
    again from the start.
    """
    expected = CatalogImport.Status.CHECKING if dry_run else CatalogImport.Status.IMPORTING
    job = CatalogImport.objects.select_related("created_by").filter(pk=import_id).first()
    if job is None or job.status != expected:
        return
    path = _path(job)
    if not job.stored_path or not path.is_file():
        job.error = "The uploaded file is gone (removed from VAR_DIR/imports)."
        _finish(job, CatalogImport.Status.FAILED)
        return
    progress = _ProgressWriter(job.pk)
    try:
        report = catalog_import(
            path=path,
            file_name=job.file_name,
            user=job.created_by,
            dry_run=dry_run,
            on_progress=progress,
        )
    except Exception as exc:
        logger.exception("Import %s of %s failed", job.pk, job.file_name)
        job.error = f"{type(exc).__name__}: {exc}"[:2000]
        _finish(job, CatalogImport.Status.FAILED)
        return
    finally:
        progress.close()
    _record(job, report)


def _record(job: CatalogImport, report: ImportReport) -> None:
    job.report = report.as_dict()
    job.stage, job.done, job.total = "", report.products, report.products
    job.save(update_fields=["stage", "done", "total"])
    if report.dry_run and report.ok:
        job.status = CatalogImport.Status.PREVIEWED
        job.save(update_fields=["status", "report"])
    elif report.applied:
        _finish(job, CatalogImport.Status.DONE)
    else:
        _finish(job, CatalogImport.Status.REFUSED)
