"""Undo of a bulk edit: each value back to what it was, unless it was changed since.

The job's change records say what it wrote. A value that still holds it gets its old
value back; one changed after the job (an editor's save, another bulk edit) is left as
it is and listed, so the undo never overwrites later work. History records one save per
product restored ("Undo of bulk edit #12 by bob: price +10%"), and the statistics get
one request per product, as for the edit itself.

Like the edit, the undo runs in the import worker: ``bulk_edit_undo_queue`` records who
asked and hands the job to the worker once that commits (``bulk_edit_undos``); the
worker's task calls ``bulk_edit_undo_run``, which claims the undo (``jobs.claim``) and
restores a chunk of products at a time. Each chunk commits together with the undo's
progress, its counts and its first conflicts, so a run taking over a lost one (its
message comes back, or the import sweep sends it again) starts after the last chunk
that committed: no value is restored twice, none is reported twice. An undo that fails
can be asked for again and goes on from there.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.bulkedit.apply import APPLY_CHUNK, chunk_undo
from catalog.bulkedit.jobs import CONFLICTS_KEPT, Status, bulk_edit_reason, claim
from catalog.bulkedit.operations import BulkEditError
from catalog.models import BulkEdit, BulkEditChange
from config.outbox import Outbox, unsent

logger = logging.getLogger(__name__)

#: Called with (products done, products in all) after each chunk.
Progress = Callable[[int, int], None]

#: Bulk edit job ids whose undo was asked for, sent to the import worker after the commit.
bulk_edit_undos: Outbox[int] = Outbox(
    "bulk edit undos",
    send="catalog.tasks.send_bulk_edit_undos",
    what=("bulk edit undo", "bulk edit undos"),
    repair="the import sweep sends the undo once the broker is back",
)


@dataclass
class UndoResult:
    job: BulkEdit
    restored: int = 0
    #: The first values left as they were (``CONFLICTS_KEPT``), as sentences.
    conflicts: list[str] = field(default_factory=list)


def _products(job_id: int) -> list[int]:
    ids = BulkEditChange.objects.filter(job_id=job_id).values_list("product_id", flat=True)
    return sorted(set(ids))


def bulk_edit_undo_queue(*, job_id: int, user: AbstractBaseUser | None) -> BulkEdit:
    """Ask for the undo of bulk edit ``job_id``: recorded now, run by the import worker
    once this commits. Raises ``BulkEditError`` for a job that does not exist, is still
    running, or was undone already (or is being undone); an undo that failed is asked
    for again and goes on where it stopped."""
    job = BulkEdit.objects.filter(pk=job_id).first()
    if job is None:
        raise BulkEditError(f"No bulk edit {job_id}.")
    if job.is_active:
        raise BulkEditError(
            f"Bulk edit {job_id} is {job.get_status_display().lower()}: undo it once it ends."
        )
    now = timezone.now()
    asked = {
        "undone_at": now,
        "undone_by_id": None if user is None else user.pk,
        "undo_status": Status.QUEUED,
        "undo_queued_at": None,
        "undo_finished_at": None,
        "undo_error": "",
    }
    with transaction.atomic():
        # Conditional writes: of two undos asked at once, one is queued.
        taken = BulkEdit.objects.filter(pk=job_id, undone_at__isnull=True).update(
            **asked, undo_total=len(_products(job_id))
        ) or BulkEdit.objects.filter(pk=job_id, undo_status=Status.FAILED).update(**asked)
        if not taken:
            job.refresh_from_db()
            state = "is being undone" if job.undo_active else "was undone already"
            raise BulkEditError(f"Bulk edit {job_id} {state}.")
        bulk_edit_undos.add(job_id)
    job.refresh_from_db()
    return job


def bulk_edit_undo_mark_queued(*, job_id: int) -> None:
    """The undo's message reached the broker (the sweep sends one whose message never did)."""
    BulkEdit.objects.filter(pk=job_id, undo_status__in=BulkEdit.ACTIVE).update(
        undo_queued_at=timezone.now()
    )


def bulk_edit_undo_run(*, job_id: int, on_progress: Progress | None = None) -> BulkEdit | None:
    """Run a queued undo (the worker's task; the command with no worker), or take over one
    whose worker was lost. None when it is not this run's (run by a live worker, or not
    asked for). ``on_progress(done, total)`` is called after each chunk."""
    job = claim(job_id, undo=True)
    if job is None:
        return None
    reason = bulk_edit_reason(job, undo=True)
    product_ids = _products(job_id)
    lines = list(job.undo_conflict_lines)
    try:
        with unsent() as not_sent:
            for start in range(job.undo_done, len(product_ids), APPLY_CHUNK):
                chunk = product_ids[start : start + APPLY_CHUNK]
                done = start + len(chunk)
                with transaction.atomic():
                    changes = list(BulkEditChange.objects.filter(job=job, product_id__in=chunk))
                    restored, conflicts = chunk_undo(
                        changes=changes, user=job.undone_by, reason=reason
                    )
                    lines += [[c.sku, c.sentence()] for c in conflicts][
                        : CONFLICTS_KEPT - len(lines)
                    ]
                    BulkEdit.objects.filter(pk=job_id).update(
                        undo_done=done,
                        undo_total=len(product_ids),
                        undo_restored=F("undo_restored") + restored,
                        undo_conflicts=F("undo_conflicts") + len(conflicts),
                        undo_conflict_lines=lines,
                        undo_heartbeat_at=timezone.now(),
                    )
                if on_progress:
                    on_progress(done, len(product_ids))
    except Exception as exc:
        # Chunks restored stay restored; asked for again, the undo goes on from here.
        logger.exception("Undo of bulk edit %s failed", job_id)
        _undo_end(job_id, Status.FAILED, undo_error=f"{type(exc).__name__}: {exc}"[:2000])
        return BulkEdit.objects.get(pk=job_id)
    sentences = " ".join(failure.sentence() for failure in not_sent)
    _undo_end(job_id, Status.DONE, **({"unsent": sentences} if sentences else {}))
    return BulkEdit.objects.get(pk=job_id)


def _undo_end(job_id: int, status: str, **fields: str) -> None:
    BulkEdit.objects.filter(pk=job_id, undo_status=Status.RUNNING).update(
        undo_status=status, undo_finished_at=timezone.now(), **fields
    )


def bulk_edit_undo(
    *, job_id: int, user: AbstractBaseUser | None, on_progress: Progress | None = None
) -> UndoResult:
    """Undo bulk edit ``job_id`` here and now, in this process: asked for and run at once
    (tests; the command when no worker takes it). Raises as ``bulk_edit_undo_queue``."""
    bulk_edit_undo_queue(job_id=job_id, user=user)
    job = bulk_edit_undo_run(job_id=job_id, on_progress=on_progress)
    if job is None:  # a worker took it between the two: report what it did
        job = BulkEdit.objects.get(pk=job_id)
    if job.undo_status == Status.FAILED:
        raise BulkEditError(f"The undo of bulk edit {job_id} failed: {job.undo_error}")
    return UndoResult(
        job=job,
        restored=job.undo_restored,
        conflicts=[sentence for _, sentence in job.undo_conflict_lines],
    )
