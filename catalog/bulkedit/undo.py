"""Undo of a bulk edit: each value back to what it was, unless it was changed since.

The job's change records say what it wrote. A value that still holds it gets its old
value back; one changed after the job (an editor's save, another bulk edit) is left as
it is and listed, so the undo never overwrites later work. History records one save per
product restored ("Undo of bulk edit #12 by bob: price +10%"), and the statistics get
one request per product, as for the edit itself.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from catalog.bulkedit.apply import APPLY_CHUNK, UndoConflict, chunk_undo
from catalog.bulkedit.jobs import bulk_edit_reason
from catalog.bulkedit.operations import BulkEditError
from catalog.models import BulkEdit, BulkEditChange

#: Called with (products done, products in all) after each chunk.
Progress = Callable[[int, int], None]


@dataclass
class UndoResult:
    job: BulkEdit
    restored: int = 0
    conflicts: list[UndoConflict] = field(default_factory=list)


def bulk_edit_undo(
    *, job_id: int, user: AbstractBaseUser | None, on_progress: Progress | None = None
) -> UndoResult:
    """Undo bulk edit ``job_id`` (see the module docstring). Raises ``BulkEditError`` for
    a job that does not exist, is still running, or was undone already."""
    job = BulkEdit.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        raise BulkEditError(f"No bulk edit {job_id}.")
    if job.is_active:
        raise BulkEditError(
            f"Bulk edit {job_id} is {job.get_status_display().lower()}: undo it once it ends."
        )
    # Taken by a conditional write: two undos at once, only one runs.
    taken = BulkEdit.objects.filter(pk=job_id, undone_at__isnull=True).update(
        undone_at=timezone.now(), undone_by_id=None if user is None else user.pk
    )
    if not taken:
        raise BulkEditError(f"Bulk edit {job_id} was undone already.")
    job.refresh_from_db()
    result = UndoResult(job=job)
    reason = bulk_edit_reason(job, undo=True)
    product_ids = sorted(
        set(BulkEditChange.objects.filter(job=job).values_list("product_id", flat=True))
    )
    try:
        for start in range(0, len(product_ids), APPLY_CHUNK):
            chunk = product_ids[start : start + APPLY_CHUNK]
            changes = list(BulkEditChange.objects.filter(job=job, product_id__in=chunk))
            restored, conflicts = chunk_undo(changes=changes, user=user, reason=reason)
            result.restored += restored
            result.conflicts += conflicts
            if on_progress:
                on_progress(min(start + APPLY_CHUNK, len(product_ids)), len(product_ids))
    except BaseException:
        # Chunks already restored stay restored (their records are what they were now);
        # the job is open to undo again for the rest.
        BulkEdit.objects.filter(pk=job_id).update(undone_at=None, undone_by=None)
        raise
    BulkEdit.objects.filter(pk=job_id).update(undo_conflicts=len(result.conflicts))
    job.undo_conflicts = len(result.conflicts)
    return result
