"""Celery wiring for statistics. No business logic: parse the messages, call a service.

Read NOTES.md on celery-batches before changing the batch task: requests are buffered
unacked in the worker's main process; with ``acks_late`` the whole batch is acked when
it returns, even if it raised, so failures are handled per product inside the service
and a failed product keeps its durable stale mark for the sweep.
"""

import logging
from typing import Any

from celery.app.amqp import task_message
from celery.utils import uuid
from celery_batches import SimpleRequest
from django.conf import settings

from config.celery import (
    QUEUE_STATS_BATCH,
    TASK_BULK_CHUNK,
    TASK_BULK_NIGHTLY,
    TASK_BULK_RESUME,
    TASK_CATEGORY_REFRESH,
    TASK_MONITORING_SAMPLE,
    TASK_PRODUCT_STATS_BATCH,
    TASK_STALE_SWEEP,
    app,
)
from stats.worker_control import LeanBatches  # also registers the batch_buffer command

logger = logging.getLogger(__name__)

#: Bumped when the message format changes; older workers reject newer messages.
MESSAGE_VERSION = 1


def queue_product_stats(*, product_id: int, category_id: int | None = None) -> None:
    """Send one recompute request for a product (and the category of a deleted one).

    No publish retries: this runs after the editor's transaction committed, and the
    product's stale mark already guarantees the sweep will catch up if this fails.

    A Celery protocol 2 message with only the headers a worker needs (``lang``, ``task``,
    ``id``): the batch worker decodes one message per save event, and py-amqp's decoding
    of the ~20 headers ``apply_async`` sends was the largest cost left in its main
    process (bench/stats.py). The publish itself (persistent delivery, serializer,
    connection pool, publish signals) is still Celery's.
    """
    kwargs: dict[str, Any] = {"v": MESSAGE_VERSION}
    if category_id is not None:
        kwargs["category_id"] = category_id
    request_id = uuid()
    message = task_message(
        headers={"lang": "py", "task": TASK_PRODUCT_STATS_BATCH, "id": request_id},
        properties={"correlation_id": request_id},
        body=([product_id], kwargs, {}),
        sent_event=None,
    )
    with app.producer_or_acquire() as producer:
        app.amqp.send_task_message(
            producer, TASK_PRODUCT_STATS_BATCH, message, queue=QUEUE_STATS_BATCH, retry=False
        )


def _parse(request: SimpleRequest) -> tuple[int, int | None] | None:
    args, kwargs = request.args, request.kwargs or {}
    version = kwargs.get("v", MESSAGE_VERSION)
    product_id = args[0] if isinstance(args, list | tuple) and len(args) == 1 else None
    category_id = kwargs.get("category_id")
    valid = (
        version == MESSAGE_VERSION
        and isinstance(product_id, int)
        and not isinstance(product_id, bool)
        and product_id > 0
        and (category_id is None or (isinstance(category_id, int) and category_id > 0))
    )
    if not valid:
        logger.error(
            "Rejected malformed statistics request %s: args=%r kwargs=%r",
            request.id,
            args,
            kwargs,
        )
        return None
    return product_id, category_id


@app.task(
    base=LeanBatches,
    name=TASK_PRODUCT_STATS_BATCH,
    flush_every=settings.STATS_BATCH_FLUSH_EVERY,
    flush_interval=settings.STATS_BATCH_FLUSH_INTERVAL,
    acks_late=True,
    ignore_result=True,
)
def product_stats_batch(requests: list[SimpleRequest]) -> None:
    from stats.services import product_stats_batch_process

    parsed = [p for p in map(_parse, requests) if p is not None]
    product_stats_batch_process(
        product_ids=[product_id for product_id, _ in parsed],
        category_ids=[category_id for _, category_id in parsed if category_id is not None],
        requests=len(requests),
        rejected=len(requests) - len(parsed),
        worker=requests[0].hostname if requests else "",
    )


@app.task(name=TASK_STALE_SWEEP, ignore_result=True, acks_late=True)
def stale_sweep() -> None:
    from stats.services import product_stats_sweep_stale

    product_stats_sweep_stale()


@app.task(name=TASK_CATEGORY_REFRESH, ignore_result=True, acks_late=True)
def category_stats_refresh() -> None:
    from stats.services import category_stats_refresh_stale

    category_stats_refresh_stale()


# --- Bulk recomputation -----------------------------------------------------------------------


def publish_bulk_chunks(*, run_id: int | None = None) -> int:
    """Send the message of every unpublished pending chunk; return how many went out.

    Called after a run is created (on commit) and by the resume task, so a broker outage
    at start delays a run instead of losing it.
    """
    from stats.bulk import bulk_chunks_mark_published, bulk_chunks_unpublished

    sent = 0
    while chunk_ids := bulk_chunks_unpublished(run_id=run_id):
        with app.producer_or_acquire() as producer:
            for chunk_id in chunk_ids:
                bulk_chunk.apply_async(args=[chunk_id], producer=producer)
        bulk_chunks_mark_published(chunk_ids=chunk_ids)
        sent += len(chunk_ids)
    return sent


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
def bulk_chunk(self, chunk_id: int) -> None:
    from stats.bulk import ChunkOutcome, bulk_chunk_process

    if not isinstance(chunk_id, int) or isinstance(chunk_id, bool):
        logger.error("Rejected malformed bulk chunk message %s: %r", self.request.id, chunk_id)
        return
    outcome = bulk_chunk_process(chunk_id=chunk_id, worker=self.request.hostname or "")
    if outcome is ChunkOutcome.RETRY:
        # Back of the queue, not retry(countdown=...): ETA messages would sit in the bulk
        # worker's memory, and the database already records the attempt.
        bulk_chunk.apply_async(args=[chunk_id])


@app.task(name=TASK_BULK_NIGHTLY, ignore_result=True)
def bulk_nightly() -> None:
    from stats.bulk import bulk_run_start_scheduled

    run = bulk_run_start_scheduled()
    if run is not None:
        publish_bulk_chunks(run_id=run.pk)


@app.task(name=TASK_BULK_RESUME, ignore_result=True)
def bulk_resume() -> None:
    sent = publish_bulk_chunks()
    if sent:
        logger.warning("Republished %d bulk chunks that had not reached the broker.", sent)


@app.task(name=TASK_MONITORING_SAMPLE, ignore_result=True)
def monitoring_sample() -> None:
    from stats.monitoring import monitoring_samples_record
    from stats.probes import take_snapshot

    monitoring_samples_record(take_snapshot())
