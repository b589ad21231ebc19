"""A bulk run's chunk messages: sent once the run is committed, sent again if they never left.

A run's chunks are rows (``stats.bulk.services.bulk_run_start``); each needs one message
on the bulk queue. ``chunk_messages`` (``config.outbox``) sends those of a run once the
run has committed; a chunk records when its message reached the broker
(``published_at``), so a chunk without one is the durable record of a message still
owed, and the periodic bulk resume sends it. A copy too many is harmless: a chunk's
status, changed under a row lock, lets only one message do its work.
"""

from django.db.models import QuerySet
from django.utils import timezone

from config.outbox import Outbox
from stats.bulk.models import BulkChunk, BulkRun

#: Run ids whose unpublished chunks are to be sent (``stats.bulk.tasks.send_chunk_messages``).
chunk_messages: Outbox[int] = Outbox(
    "bulk chunk messages",
    send="stats.bulk.tasks.send_chunk_messages",
    what=("bulk run's chunks", "bulk runs' chunks"),
    repair="the bulk resume sends the waiting chunks once the broker is back",
)


def _unpublished() -> QuerySet[BulkChunk]:
    """Pending chunks of active runs whose message never reached the broker."""
    return BulkChunk.objects.filter(
        status=BulkChunk.Status.PENDING,
        published_at__isnull=True,
        run__status__in=BulkRun.ACTIVE,
    )


def bulk_chunks_unpublished(*, run_id: int, limit: int = 5000) -> list[int]:
    """A run's chunks still owed a message, at most ``limit`` of them, in order."""
    chunks = _unpublished().filter(run_id=run_id).order_by("number")
    return list(chunks.values_list("id", flat=True)[:limit])


def bulk_chunks_mark_published(*, chunk_ids: list[int]) -> None:
    BulkChunk.objects.filter(id__in=chunk_ids).update(published_at=timezone.now())


def bulk_chunks_owed(*, run_id: int) -> int:
    """How many of an active run's pending chunks still wait for their message."""
    return _unpublished().filter(run_id=run_id).count()


def bulk_runs_resume() -> int:
    """Send the chunks no message was sent for (the periodic bulk resume); how many.

    A cancelled or finished run's pending chunks are not sent: nothing would run them.
    """
    owed = _unpublished().count()
    if not owed:
        return 0
    run_ids = _unpublished().order_by("run_id").values_list("run_id", flat=True).distinct()
    return 0 if chunk_messages.send_now(list(run_ids)) else owed
