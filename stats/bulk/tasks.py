"""Celery wiring of bulk runs: one rate-limited message per chunk, on the bulk queue.

The rate limit is ``rate_limit`` on ``bulk_chunk``, enforced by the single active bulk
worker (``stats.bulk.worker``) with a steady token bucket (``stats.bulk.ratelimit``).
"""

import logging
from dataclasses import dataclass
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction

from config.celery import app
from config.queues import TASK_BULK_CHUNK, TASK_BULK_NIGHTLY, TASK_BULK_RESUME
from stats.bulk.models import BulkRun

logger = logging.getLogger(__name__)


def publish_bulk_chunks(*, run_id: int | None = None) -> int:
    """Send the message of every unpublished pending chunk; return how many went out.

    Called once a run is committed and by the resume task, so a broker outage at start
    delays a run instead of losing it.
    """
    from stats.bulk.services import bulk_chunks_mark_published, bulk_chunks_unpublished

    sent = 0
    while chunk_ids := bulk_chunks_unpublished(run_id=run_id):
        with app.producer_or_acquire() as producer:
            for chunk_id in chunk_ids:
                bulk_chunk.apply_async(args=(chunk_id,), producer=producer)
        bulk_chunks_mark_published(chunk_ids=chunk_ids)
        sent += len(chunk_ids)
    return sent


@dataclass
class Launch:
    run: BulkRun
    #: Why the chunks are not on the queue yet (the resume task publishes them later).
    publish_error: str | None = None


def bulk_run_launch(**start: Any) -> Launch:
    """Start a run (``bulk_run_start``'s arguments) and publish its chunks once committed.

    The one way the admin, the command and the schedule start runs. A broker outage is
    not an error for the caller: the run is saved, ``publish_error`` says why its chunks
    wait, and the resume task publishes them once the broker is back.
    """
    from stats.bulk.services import bulk_run_start

    launch = Launch(run=bulk_run_start(**start))

    def publish() -> None:
        try:
            publish_bulk_chunks(run_id=launch.run.pk)
        except Exception as exc:
            launch.publish_error = f"{type(exc).__name__}: {exc}"
            logger.warning(
                "Chunks of bulk run %s not published (%s); the resume task publishes them "
                "within %s s of the broker coming back.",
                launch.run.pk,
                launch.publish_error,
                settings.STATS_BULK_RESUME_INTERVAL,
            )

    transaction.on_commit(publish)
    return launch


@app.task(
    bind=True,
    name=TASK_BULK_CHUNK,
    rate_limit=settings.STATS_BULK_RATE_LIMIT,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.STATS_BULK_TIME_LIMIT,
    soft_time_limit=settings.STATS_BULK_TIME_LIMIT - 30,
    ignore_result=True,
)
def bulk_chunk(self: Task, chunk_id: int) -> None:
    from stats.bulk.services import ChunkOutcome, bulk_chunk_process

    if not isinstance(chunk_id, int) or isinstance(chunk_id, bool):
        logger.error("Rejected malformed bulk chunk message %s: %r", self.request.id, chunk_id)
        return
    outcome = bulk_chunk_process(chunk_id=chunk_id, worker=self.request.hostname or "")
    if outcome is ChunkOutcome.RETRY:
        # Back of the queue, not retry(countdown=...): ETA messages would sit in the bulk
        # worker's memory, and the database already records the attempt.
        bulk_chunk.apply_async(args=(chunk_id,))


@app.task(name=TASK_BULK_NIGHTLY, ignore_result=True)
def bulk_nightly() -> None:
    from stats.bulk.services import bulk_run_start_scheduled

    run = bulk_run_start_scheduled()
    if run is not None:
        publish_bulk_chunks(run_id=run.pk)


@app.task(name=TASK_BULK_RESUME, ignore_result=True)
def bulk_resume() -> None:
    sent = publish_bulk_chunks()
    if sent:
        logger.warning("Republished %d bulk chunks that had not reached the broker.", sent)
