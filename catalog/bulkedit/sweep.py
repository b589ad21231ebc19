"""No bulk edit waits forever for a message or a worker that is gone.

A queued job needs a message on the import queue, a running one a worker beating beside
it. The message may never have left (the broker was down at the commit: ``queued_at``
stays empty), may be lost on the way, or its worker may die where no message comes back
(the embedded broker drops a dead worker's message only after its lease). The import
sweep's task calls ``bulk_edits_sweep``, which reads the jobs and sends those owed a
message again through ``jobs.bulk_edits`` (an undo, by the same rule over its own
fields, through ``undo.bulk_edit_undos``); a copy too many is harmless, since only one
run claims a job (``jobs.claim``), and a run taking over skips what was applied.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.bulkedit.jobs import Status, bulk_edits
from catalog.bulkedit.undo import bulk_edit_undos
from catalog.models import BulkEdit


def _owed(prefix: str, now: datetime) -> Q:
    """The rule below over the edit's fields (``prefix`` "") or its undo's ("undo_")."""
    stale = now - timedelta(seconds=settings.CATALOG_IMPORT_STALE_AFTER)
    lost_message = now - timedelta(seconds=settings.CATALOG_IMPORT_TIME_LIMIT)
    status, queued, beat = f"{prefix}status", f"{prefix}queued_at", f"{prefix}heartbeat_at"
    asked = "undone_at" if prefix else "created_at"
    return (
        Q(**{status: Status.QUEUED, f"{queued}__isnull": True, f"{asked}__lt": stale})
        | Q(**{status: Status.QUEUED, f"{queued}__lt": lost_message})
        | (
            Q(**{status: Status.RUNNING, f"{beat}__lt": stale})
            # Not sent again within the stale delay: that copy is still on its way.
            & (Q(**{f"{queued}__isnull": True}) | Q(**{f"{queued}__lt": stale}))
        )
    )


def bulk_edits_sweep(*, now: datetime | None = None) -> list[int]:
    """Send again the jobs, and the undos, owed a message; returns their ids.

    - queued, its message never sent, for longer than ``CATALOG_IMPORT_STALE_AFTER``
      (the moment between a commit and its publish is not a lost message);
    - queued, sent longer ago than ``CATALOG_IMPORT_TIME_LIMIT``, no worker started it;
    - running, its worker silent for longer than ``CATALOG_IMPORT_STALE_AFTER``, and not
      sent again within that delay (each copy a live run gets waits a while to claim it).
    """
    now = now or timezone.now()
    sent: list[int] = []
    # One transaction, so one publish after it: a broker still down fails once.
    with transaction.atomic():
        for job in BulkEdit.objects.filter(_owed("", now)).only("pk", "status").order_by("pk"):
            # Not known to be on its way until the sender marks it again.
            BulkEdit.objects.filter(pk=job.pk, status=job.status).update(queued_at=None)
            bulk_edits.add(job.pk)
            sent.append(job.pk)
        undos = BulkEdit.objects.filter(_owed("undo_", now)).only("pk", "undo_status")
        for job in undos.order_by("pk"):
            BulkEdit.objects.filter(pk=job.pk, undo_status=job.undo_status).update(
                undo_queued_at=None
            )
            bulk_edit_undos.add(job.pk)
            sent.append(job.pk)
    return sent
