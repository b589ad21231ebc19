"""Celery wiring of bulk runs: one rate-limited message per chunk, on the bulk queue.

The rate limit is ``rate_limit`` on ``bulk_chunk``, enforced by the single active bulk
worker (the bulk role of ``config/queues.py``: ``-c 1``, prefetch 1) with a steady token bucket
(``stats.bulk.ratelimit``).
"""

import logging
from collections.abc import Iterable

from celery import Task
from django.conf import settings

from config.celery import app
from config.queues import TASK_BULK_CHUNK, TASK_BULK_NIGHTLY, TASK_BULK_RESUME

logger = logging.getLogger(__name__)


def publish_bulk_chunks(*, run_id: int) -> int:
    """Send the message of each of the run's chunks not sent yet; return how many went out.

    Each batch of chunks is recorded as sent once its messages are out: a failure in the
    middle leaves them for the bulk resume (a copy too many does no work).
    """
    from stats.bulk.publish import bulk_chunks_mark_published, bulk_chunks_unpublished

    sent = 0
    while chunk_ids := bulk_chunks_unpublished(run_id=run_id):
        with app.producer_or_acquire() as producer:
            for chunk_id in chunk_ids:
                bulk_chunk.apply_async(args=(chunk_id,), producer=producer, retry=False)
        bulk_chunks_mark_published(chunk_ids=chunk_ids)
        sent += len(chunk_ids)
    return sent


def send_chunk_messages(runs: Iterable[tuple[int, None]]) -> None:
    """The sender of ``stats.bulk.publish.chunk_messages`` (``config.outbox``)."""
    for run_id, _ in runs:
        publish_bulk_chunks(run_id=run_id)


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
    from stats.bulk.services import bulk_chunk_process

    if not isinstance(chunk_id, int) or isinstance(chunk_id, bool):
        logger.error("Rejected malformed bulk chunk message %s: %r", self.request.id, chunk_id)
        return
    # A chunk to try again is sent to the back of the queue by the service's commit.
    bulk_chunk_process(chunk_id=chunk_id, worker=self.request.hostname or "")


@app.task(name=TASK_BULK_NIGHTLY, ignore_result=True)
def bulk_nightly() -> None:
    from stats.bulk.services import bulk_run_start_scheduled

    bulk_run_start_scheduled()  # its chunks are sent once the run is committed


@app.task(name=TASK_BULK_RESUME, ignore_result=True)
def bulk_resume() -> None:
    from stats.bulk.publish import bulk_runs_resume

    sent = bulk_runs_resume()
    if sent:
        logger.warning("Republished %d bulk chunks that had not reached the broker.", sent)
