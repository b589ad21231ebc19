"""Large exports as background jobs: asked for in the admin, written by the import worker.

Below ``CATALOG_EXPORT_BACKGROUND_FROM`` products an export downloads at once, streamed
by the web request (``exports.catalog_export_download``). From there on it would hold a
web thread and a database connection for minutes, so ``catalog_export_request`` records
a ``CatalogExport`` instead, and its message goes to the import worker once committed
(``catalog_exports``, ``config.outbox``). The worker's ``catalog_export_run`` writes the
file with the same streaming writers (``exports``) to ``VAR_DIR/exports/`` (the
directory the web and the import worker already share for uploads), beating and
counting products after each thousand, and checking there whether it was stopped. The
job centre lists it; its Download serves the file (``catalog.admin.export_jobs``).

No export waits forever: the import sweep calls ``catalog_exports_sweep``, which sends a
queued export whose message never left, ends a running one whose worker went silent as
Failed (asked again in one click; a half-written file is of no use), and removes files
older than ``CATALOG_EXPORT_KEEP_DAYS``.
"""

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.imports.exports import (
    CategoryNotFound,
    catalog_export_csv_stream,
    catalog_export_xlsx,
)
from catalog.imports.resources import EXPORT_CHUNK, export_product_count, export_rows_over
from catalog.models import CatalogExport, Category
from config.humanize import quantity
from config.outbox import Outbox

logger = logging.getLogger(__name__)

Status = CatalogExport.Status

#: Under ``VAR_DIR``: finished exports, until the sweep removes them.
EXPORT_DIR = "exports"
LOST_WORKER = "The background process preparing it stopped: ask for the export again."

catalog_exports: Outbox[int] = Outbox(
    "exports",
    send="catalog.tasks.send_exports",
    what=("export", "exports"),
    repair="the import sweep sends the export once the broker is back",
)


class ExportStateError(Exception):
    """An export not in a state for this (already ended, or one still being prepared)."""


class ExportTooLarge(ExportStateError):
    """An XLSX export with more rows than a spreadsheet's sheet holds."""


#: A spreadsheet's sheet holds 1,048,576 rows (Excel, LibreOffice): the header and these.
XLSX_MAX_ROWS = 1_048_575


class ExportStopped(Exception):
    """Raised inside a run whose export was cancelled meanwhile."""


def export_path(job: CatalogExport) -> Path:
    return Path(settings.VAR_DIR) / job.stored_path


def catalog_export_request(
    *, fmt: str, category: Category | None, user: AbstractBaseUser | None
) -> CatalogExport | None:
    """A background export when the selection is large, else None (download it at once).

    Raises ``ExportStateError`` while ``user`` has one being prepared already: one at a
    time each, as for the downloads; ``ExportTooLarge`` for an XLSX of more rows than a
    sheet holds (Excel would cut it off; and at 1,000,000 products, 3,000,000 rows, the
    worker's writing took 33 minutes, past its time limit): CSV has no such limit.
    """
    if fmt == "xlsx" and export_rows_over(XLSX_MAX_ROWS, category=category):
        raise ExportTooLarge(
            f"An XLSX sheet holds at most {XLSX_MAX_ROWS + 1:,} rows and this export has "
            "more (one row per variant): export CSV instead, or one category at a time."
        )
    products = export_product_count(category=category)
    if products < settings.CATALOG_EXPORT_BACKGROUND_FROM:
        return None
    with transaction.atomic():
        mine = CatalogExport.objects.filter(created_by_id=user.pk if user else None)
        if user is not None and mine.filter(status__in=CatalogExport.ACTIVE).exists():
            raise ExportStateError(
                "Your previous export is still being prepared: Jobs (top right) "
                "shows its progress, and its Download once it is ready."
            )
        job = CatalogExport.objects.create(
            created_by_id=None if user is None else user.pk,
            format=fmt,
            category_slug=category.slug if category else "",
            category_name=category.name if category else "",
            total=products,
        )
        catalog_exports.add(job.pk)
    return job


def request_message(job: CatalogExport) -> str:
    """What the editor is told once a background export is asked for."""
    return (
        f"{job} has {quantity(job.total, 'product')}: it is prepared in the background. "
        "Jobs (top right) shows its progress, and its Download once it is ready."
    )


def catalog_export_mark_queued(*, export_id: int) -> None:
    """Its message reached the broker (the sweep sends an export whose message never did)."""
    CatalogExport.objects.filter(pk=export_id, status=Status.QUEUED).update(
        queued_at=timezone.now()
    )


def catalog_export_run(*, export_id: int) -> CatalogExport | None:
    """Write a queued export's file (the worker's task); None when it is not this run's
    (taken by another delivery of its message, cancelled, or ended)."""
    now = timezone.now()
    taken = CatalogExport.objects.filter(pk=export_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not taken:
        return None
    job = CatalogExport.objects.get(pk=export_id)
    final = Path(EXPORT_DIR) / f"export-{job.pk}.{job.format}"
    target = Path(settings.VAR_DIR) / final
    partial = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    chunks = 0

    def progress() -> None:
        nonlocal chunks
        chunks += 1
        done = min(job.total, chunks * EXPORT_CHUNK)
        beat = CatalogExport.objects.filter(pk=job.pk, status=Status.RUNNING)
        if not beat.update(done=done, heartbeat_at=timezone.now()):
            raise ExportStopped

    try:
        with partial.open("wb") as out:
            if job.format == "csv":
                for chunk in catalog_export_csv_stream(category_slug=job.category_slug or None):
                    out.write(chunk)
                    progress()
            else:
                catalog_export_xlsx(
                    out=out, category_slug=job.category_slug or None, on_chunk=progress
                )
        os.replace(partial, target)
    except ExportStopped:
        partial.unlink(missing_ok=True)
        logger.info("Export %s cancelled after %s products", job.pk, chunks * EXPORT_CHUNK)
        return CatalogExport.objects.get(pk=job.pk)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, CategoryNotFound):
            error = f"The category {job.category_name} was deleted since the export was asked for."
        else:
            logger.exception("Export %s failed", job.pk)
            error = f"{type(exc).__name__}: {exc}"[:2000]
        _end(job.pk, Status.FAILED, error=error)
        return CatalogExport.objects.get(pk=job.pk)
    ended = _end(
        job.pk, Status.DONE, stored_path=str(final), size=target.stat().st_size, done=job.total
    )
    if not ended:  # cancelled after its last chunk: the file is not offered
        target.unlink(missing_ok=True)
    return CatalogExport.objects.get(pk=job.pk)


def _end(export_id: int, status: str, **fields: object) -> bool:
    """End a running export, unless something else ended it first."""
    return bool(
        CatalogExport.objects.filter(pk=export_id, status=Status.RUNNING).update(
            status=status, finished_at=timezone.now(), **fields
        )
    )


def catalog_export_cancel(*, export_id: int) -> CatalogExport:
    """Stop an export: a queued one is never written, a running one stops at its next
    thousand products and leaves no file."""
    cancelled = CatalogExport.objects.filter(pk=export_id, status__in=CatalogExport.ACTIVE).update(
        status=Status.CANCELLED, finished_at=timezone.now()
    )
    job = CatalogExport.objects.get(pk=export_id)
    if not cancelled:
        raise ExportStateError(f"This export is {job.get_status_display().lower()}.")
    return job


def catalog_exports_sweep(*, now: datetime | None = None) -> list[int]:
    """Send the exports owed a message, fail those whose worker went silent, and remove
    files past ``CATALOG_EXPORT_KEEP_DAYS``; returns the ids sent (again)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.CATALOG_IMPORT_STALE_AFTER)
    lost_message = now - timedelta(seconds=settings.CATALOG_IMPORT_TIME_LIMIT)
    lost = CatalogExport.objects.filter(status=Status.RUNNING, heartbeat_at__lt=stale)
    for export_id in lost.values_list("pk", flat=True):
        if _end(export_id, Status.FAILED, error=LOST_WORKER):
            logger.error("Export %s failed: its worker was lost", export_id)
    owed = CatalogExport.objects.filter(
        Q(status=Status.QUEUED, queued_at__isnull=True, created_at__lt=stale)
        | Q(status=Status.QUEUED, queued_at__lt=lost_message)
    )
    sent: list[int] = []
    with transaction.atomic():  # one publish after it
        for export_id in owed.order_by("pk").values_list("pk", flat=True):
            CatalogExport.objects.filter(pk=export_id).update(queued_at=None)
            catalog_exports.add(export_id)
            sent.append(export_id)
    expired = now - timedelta(days=settings.CATALOG_EXPORT_KEEP_DAYS)
    old = CatalogExport.objects.filter(finished_at__lt=expired).exclude(stored_path="")
    for job in old.only("pk", "stored_path"):
        export_path(job).unlink(missing_ok=True)
        CatalogExport.objects.filter(pk=job.pk).update(stored_path="")
    return sent
