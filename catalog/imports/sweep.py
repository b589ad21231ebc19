"""The imports' periodic sweep: no import waits forever for a worker that is gone.

An import in Checking or Importing needs a message on the import queue and a worker
running it. Either can be lost: the publish after an upload or a confirm failed (broker
down), the embedded broker dropped the message of a worker that died, a worker was
killed mid-run (its message, on RabbitMQ, comes back; the run claims the job only once
its signs of life are stale: ``runs._claim``). The sweep reads the database, the one
record of what should be running, and sends the steps owed a message (again) through
``jobs.import_steps`` (``config.outbox``), as the upload and the confirm do. It also ends
what should end: cancel requests whose worker is gone, steps lost too often, abandoned
dry runs.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.imports.heartbeat import cancel_requested, last_sign_of_life, run_is_alive
from catalog.imports.jobs import (
    RUNNING,
    Status,
    catalog_import_end,
    catalog_imports_abandoned_cancel,
    import_steps,
)
from catalog.imports.runs import lost_worker_error
from catalog.models import CatalogImport
from config.humanize import human_duration

logger = logging.getLogger(__name__)


@dataclass
class SweepOutcome:
    #: (import id, dry run) of each step sent (again) to the import queue.
    to_send: list[tuple[int, bool]] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    abandoned: int = 0


def _silent_for(job: CatalogImport, now: datetime) -> str:
    seen = last_sign_of_life(job)
    return human_duration(now - seen) if seen else "ever"


def catalog_imports_sweep(*, now: datetime | None = None) -> SweepOutcome:
    """Find the running imports no worker runs, and say what becomes of each.

    - a step whose worker was lost (its signs of life older than
      ``CATALOG_IMPORT_STALE_AFTER``): sent again, or Failed once it was tried
      ``CATALOG_IMPORT_MAX_ATTEMPTS`` times; Cancelled if a cancel was requested;
    - a step whose message never reached the broker: sent;
    - a step sent longer ago than ``CATALOG_IMPORT_TIME_LIMIT`` that no worker started
      (its message lost on the way): sent again. A copy too many is harmless: only one
      run claims the job.

    Each is sent once its reset has committed; a broker still down leaves them unsent
    (``queued_at`` empty) for the next sweep.
    """
    now = now or timezone.now()
    outcome = SweepOutcome(abandoned=catalog_imports_abandoned_cancel())
    resend_before = now - timedelta(seconds=settings.CATALOG_IMPORT_TIME_LIMIT)
    resend: list[CatalogImport] = []
    for job in CatalogImport.objects.filter(status__in=RUNNING).order_by("pk"):
        if run_is_alive(job, now=now):
            continue
        started = job.heartbeat_at is not None
        if cancel_requested(job):
            if catalog_import_end(job, Status.CANCELLED, expected=[job.status]):
                outcome.cancelled.append(job.pk)
            continue
        if started and job.attempts >= settings.CATALOG_IMPORT_MAX_ATTEMPTS:
            error = lost_worker_error(job.attempts)
            if catalog_import_end(job, Status.FAILED, expected=[job.status], error=error):
                logger.error("Import %s of %s failed: %s", job.pk, job.file_name, error)
                outcome.failed.append(job.pk)
            continue
        if started or job.queued_at is None or job.queued_at < resend_before:
            resend.append(job)
            if started:
                logger.warning(
                    "Import %s of %s: its worker was lost (no sign of life for %s); "
                    "sending it again (attempt %s of %s)",
                    job.pk,
                    job.file_name,
                    _silent_for(job, now),
                    job.attempts + 1,
                    settings.CATALOG_IMPORT_MAX_ATTEMPTS,
                )
    # One transaction, so one publish after it: a broker still down fails once.
    with transaction.atomic():
        for job in resend:
            # No run holds it now, and no message is known to be on its way.
            reset = CatalogImport.objects.filter(
                pk=job.pk, status=job.status, attempts=job.attempts
            ).update(heartbeat_at=None, queued_at=None)
            if reset:
                dry_run = job.status == Status.CHECKING
                outcome.to_send.append((job.pk, dry_run))
                import_steps.add(job.pk, dry_run)
    return outcome
