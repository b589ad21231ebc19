"""A bulk edit as a job: recorded with its preview's versions, applied in the background.

``bulk_edit_create`` writes the job and hands it to the import worker once that commits
(``bulk_edits``, ``config.outbox``); the worker's task calls ``bulk_edit_run``, which
claims the job (only a queued job is taken, so a message delivered twice, or a job the
command applied itself, is never applied twice) and applies it a chunk of products at a
time, each chunk in its own transaction, each product under its row lock and checked
against the version its preview showed (``catalog.bulkedit.apply``). Progress is
written after each chunk commits, so the page and the command see it move.

A worker lost mid-run leaves the chunks it committed; its message comes back
(``acks_late``) and the next run takes the job over once the lost run's beat
(``heartbeat_at``, written with the progress) is older than ``CATALOG_IMPORT_STALE_AFTER``
(``claim``; the undo, ``catalog.bulkedit.undo``, is claimed the same way).
It goes through every product again: one with the job's change records was applied by
the lost run and is only counted, so no product is changed twice.
"""

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from catalog.bulkedit.apply import APPLY_CHUNK, chunk_apply
from catalog.bulkedit.operations import BulkEditError, Operation
from catalog.bulkedit.preview import Preview
from catalog.models import BulkEdit
from config.outbox import Outbox, unsent

logger = logging.getLogger(__name__)

Status = BulkEdit.Status
#: Seconds between two looks at a job another run may still hold.
BEAT_SECONDS = 1.0
#: Conflicting SKUs kept on the job (the count has them all).
CONFLICTS_KEPT = 200

#: Bulk edit job ids, sent to the import worker after the job's commit.
bulk_edits: Outbox[int] = Outbox(
    "bulk edits",
    send="catalog.tasks.send_bulk_edits",
    what=("bulk edit", "bulk edits"),
    repair="the import sweep sends the bulk edit once the broker is back",
)


def bulk_edit_reason(job: BulkEdit, *, undo: bool = False) -> str:
    """The history's change reason: "Bulk edit #12 by alice: price +10%" (100 characters)."""
    user = job.undone_by if undo else job.created_by
    who = f" by {user.get_username()}" if user is not None else ""
    text = f"Undo of bulk edit #{job.pk}{who}" if undo else f"Bulk edit #{job.pk}{who}"
    text = f"{text}: {job.summary}"
    return text if len(text) <= 100 else text[:99] + "…"


def bulk_edit_create(*, preview: Preview, user: AbstractBaseUser | None) -> BulkEdit:
    """Record the previewed edit and queue it (sent once this commits).

    Refused (``BulkEditError``) while the preview has errors or changes nothing: nothing
    is written then. Only the products the preview changes are part of the job.
    """
    if preview.errors:
        raise BulkEditError(preview.refusal())
    changed = preview.changed
    if not changed:
        raise BulkEditError("Nothing to change: the selected products already have these values.")
    with transaction.atomic():
        job = BulkEdit.objects.create(
            created_by_id=None if user is None else user.pk,
            selection=preview.selection.words,
            operations=[op.as_dict() for op in preview.operations],
            summary=preview.summary[:255],
            versions={str(p.product_id): p.version for p in changed},
            total=len(changed),
        )
        bulk_edits.add(job.pk)
    return job


def bulk_edit_mark_queued(*, job_id: int) -> None:
    """The job's message reached the broker (the sweep sends a job whose message never did)."""
    BulkEdit.objects.filter(pk=job_id, status__in=BulkEdit.ACTIVE).update(queued_at=timezone.now())


def claim(job_id: int, *, undo: bool = False) -> BulkEdit | None:
    """Take a queued job (its undo with ``undo``), or a running one whose worker has gone
    silent; else None.

    A run whose worker died moments ago still looks alive: wait until its beat is stale,
    then take over (as an import's run does); one that keeps beating is another
    worker's, and this delivery gives up.
    """
    status, beat_field, started = (
        ("undo_status", "undo_heartbeat_at", "undo_started_at")
        if undo
        else ("status", "heartbeat_at", "started_at")
    )
    stale_after = timedelta(seconds=settings.CATALOG_IMPORT_STALE_AFTER)
    give_up = time.monotonic() + stale_after.total_seconds() + 2 * BEAT_SECONDS
    while True:
        job = BulkEdit.objects.filter(pk=job_id).first()
        if job is None or getattr(job, status) not in BulkEdit.ACTIVE:
            return None
        now = timezone.now()
        beat = getattr(job, beat_field)
        if getattr(job, status) == Status.RUNNING and beat is not None and now - beat < stale_after:
            if time.monotonic() > give_up:
                return None
            time.sleep(BEAT_SECONDS)
            continue
        taken = BulkEdit.objects.filter(
            pk=job_id, **{status: getattr(job, status), beat_field: beat}
        ).update(**{status: Status.RUNNING, started: now, beat_field: now})
        if taken:
            return BulkEdit.objects.select_related("created_by", "undone_by").get(pk=job_id)


def bulk_edit_cancel(*, job_id: int) -> BulkEdit:
    """Stop a job: a queued one at once, a running one after the chunk it is writing
    (what is written stays written, and can be undone)."""
    job = BulkEdit.objects.get(pk=job_id)
    if not job.is_active:
        raise BulkEditError(f"Bulk edit {job.pk} is {job.get_status_display().lower()}.")
    BulkEdit.objects.filter(pk=job_id, status__in=BulkEdit.ACTIVE).update(
        status=Status.CANCELLED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def bulk_edit_run(
    *, job_id: int, on_progress: Callable[[int, int], None] | None = None
) -> BulkEdit | None:
    """Apply a queued job (the worker's task; the command with no worker), or take over
    one whose worker was lost. None when the job is not this run's: run by a live
    worker, done, or cancelled. ``on_progress(done, total)`` is called after each chunk,
    besides the figures written on the job."""
    job = claim(job_id)
    if job is None:
        return None
    operations = [Operation.from_dict(op) for op in job.operations]
    ids = sorted(int(pk) for pk in job.versions)
    reason = bulk_edit_reason(job)
    changed = conflicts = 0
    conflict_skus: list[str] = []
    try:
        with unsent() as not_sent:
            for start in range(0, len(ids), APPLY_CHUNK):
                if BulkEdit.objects.filter(pk=job.pk, status=Status.RUNNING).count() == 0:
                    logger.info("Bulk edit %s cancelled after %s products", job.pk, start)
                    return BulkEdit.objects.get(pk=job.pk)
                outcome = chunk_apply(
                    job=job,
                    product_ids=ids[start : start + APPLY_CHUNK],
                    operations=operations,
                    user=job.created_by,
                    reason=reason,
                )
                changed += outcome.changed
                conflicts += len(outcome.conflicts)
                conflict_skus += outcome.conflicts
                BulkEdit.objects.filter(pk=job.pk).update(
                    heartbeat_at=timezone.now(),
                    done=min(start + APPLY_CHUNK, len(ids)),
                    changed=changed,
                    conflicts=conflicts,
                    conflict_skus=conflict_skus[:CONFLICTS_KEPT],
                )
                if on_progress:
                    on_progress(min(start + APPLY_CHUNK, len(ids)), len(ids))
    except Exception as exc:
        logger.exception("Bulk edit %s failed", job.pk)
        _end(job, Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        return BulkEdit.objects.get(pk=job.pk)
    _end(job, Status.DONE, unsent=" ".join(failure.sentence() for failure in not_sent))
    return BulkEdit.objects.get(pk=job.pk)


def _end(job: BulkEdit, status: str, **fields: str) -> None:
    BulkEdit.objects.filter(pk=job.pk, status=Status.RUNNING).update(
        status=status, finished_at=timezone.now(), **fields
    )
