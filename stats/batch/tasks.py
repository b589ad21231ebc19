"""Celery wiring of the batched path. No business logic: publish, parse, call a service.

celery-batches buffers requests unacked in the worker's main process; with ``acks_late``
the whole batch is acked when it returns, even if it raised, so failures are handled per
product inside the service and a failed product keeps its durable stale mark for the
sweep (docs/architecture.md).
"""

import logging
from collections.abc import Iterable

from celery.app.amqp import task_message
from celery.utils import uuid
from celery_batches import SimpleRequest
from django.conf import settings

from config.celery import app
from config.queues import (
    TASK_CATEGORY_REFRESH,
    TASK_PRODUCT_STATS_BATCH,
    TASK_STALE_SWEEP,
    batch_queue_for,
)
from stats.batch import control  # noqa: F401  (the batch_buffer remote-control command)
from stats.batch.consumer import LeanBatches
from stats.batch.message import SaveRequest, encode, validate

logger = logging.getLogger(__name__)


def queue_product_stats(*, product_id: int, category_id: int | None = None) -> None:
    """Send one recompute request for a product (and the category of a deleted one).

    No publish retries: this runs after the editor's transaction committed, and the
    product's stale mark already guarantees the sweep will catch up if this fails. The
    publish itself (persistent delivery, serializer, connection pool, publish signals)
    is Celery's; the message is ``stats.batch.message``'s. A deleted product's request
    goes to its own product id's shard like any other.
    """
    request_id = uuid()
    headers, body = encode(
        SaveRequest(product_id=product_id, category_id=category_id),
        task_name=TASK_PRODUCT_STATS_BATCH,
        request_id=request_id,
    )
    message = task_message(
        headers=headers, properties={"correlation_id": request_id}, body=body, sent_event=None
    )
    with app.producer_or_acquire() as producer:
        app.amqp.send_task_message(
            producer,
            TASK_PRODUCT_STATS_BATCH,
            message,
            queue=batch_queue_for(product_id),
            retry=False,
        )


def send_recompute_requests(requests: Iterable[tuple[int, int | None]]) -> None:
    """The sender of ``stats.batch.requests.recompute_requests`` (``config.outbox``)."""
    for product_id, category_id in requests:
        queue_product_stats(product_id=product_id, category_id=category_id)


@app.task(
    base=LeanBatches,
    name=TASK_PRODUCT_STATS_BATCH,
    flush_every=settings.STATS_BATCH_FLUSH_EVERY,
    flush_interval=settings.STATS_BATCH_FLUSH_INTERVAL,
    acks_late=True,
    ignore_result=True,
)
def product_stats_batch(requests: list[SimpleRequest]) -> None:
    from stats.batch.services import product_stats_batch_process

    parsed = [validate(r.args, r.kwargs, request_id=r.id) for r in requests]
    valid = [p for p in parsed if p is not None]
    product_stats_batch_process(
        product_ids=[p.product_id for p in valid],
        category_ids=[p.category_id for p in valid if p.category_id is not None],
        requests=len(requests),
        rejected=len(requests) - len(valid),
        worker=requests[0].hostname if requests else "",
    )


@app.task(name=TASK_STALE_SWEEP, ignore_result=True, acks_late=True)
def stale_sweep() -> None:
    from stats.recompute.sweep import product_stats_sweep_stale
    from stats.records.task_runs import SWEEP, task_run_timed

    with task_run_timed(SWEEP):
        product_stats_sweep_stale()


@app.task(name=TASK_CATEGORY_REFRESH, ignore_result=True, acks_late=True)
def category_stats_refresh() -> None:
    from stats.recompute.categories import category_stats_refresh_stale
    from stats.records.task_runs import CATEGORY_REFRESH, task_run_timed

    with task_run_timed(CATEGORY_REFRESH):
        category_stats_refresh_stale()
