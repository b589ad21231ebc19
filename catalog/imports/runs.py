"""The import worker's side of an import: claim the step, run it, record how it ended.

``catalog.tasks`` calls ``catalog_import_run`` for each message of the import queue:
the dry run of a new upload, or the confirmed import. A run claims the job first
(``_claim``), so a message delivered twice, or sent again by the sweep, never runs
beside a live run; it beats while it works (``heartbeat.RunMonitor``) and stops at its
next chunk when cancelled. The history of its writes names whoever confirmed it. What
its commit could not send on (``config.outbox``) is recorded on the job for its page.
"""

import logging
import time

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from catalog.imports.heartbeat import (
    BEAT_SECONDS,
    ImportCancelled,
    RunMonitor,
    cancel_requested,
    run_is_alive,
    upload_path,
)
from catalog.imports.jobs import Status, catalog_import_end
from catalog.imports.services import ImportReport, catalog_import
from catalog.models import CatalogImport
from config.humanize import human_duration
from config.outbox import unsent

logger = logging.getLogger(__name__)


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
        with RunMonitor(job, expected=expected) as monitor, unsent() as not_sent:
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
    # What its commit could not send on (the statistics requests, with the broker down):
    # the import is done all the same, and its page says what follows instead.
    note = " ".join(failure.sentence() for failure in not_sent)
    _record(job, report, expected=expected, unsent_note=note)


def _record(job: CatalogImport, report: ImportReport, *, expected: str, unsent_note: str) -> None:
    fields = {
        "report": report.as_dict(),
        "stage": "",
        "done": report.products,
        "total": report.products,
        "unsent": unsent_note,
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
