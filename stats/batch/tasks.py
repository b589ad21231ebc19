"""Celery wiring of the batched path. No business logic: publish, parse, call a service.

celery-batches buffers requests unacked in the worker's main process; with ``acks_late``
the whole batch is acked when it returns, even if it raised, so failures are handled per
product inside the service and a failed product keeps its durable stale mark for the
sweep (docs/architecture.md).
"""

import logging
from collections.abc import Iterable
from itertools import islice

from celery.app.amqp import task_message
from celery.utils import uuid
from celery_batches import SimpleRequest
from django.conf import settings

from config.celery import app
from config.outbox import PartlySent
from config.queues import (
    TASK_CATEGORY_REFRESH,
    TASK_PRODUCT_STATS_BATCH,
    TASK_STALE_SWEEP,
    batch_queue_for,
)
from stats.batch import control  # noqa: F401  (the batch_buffer remote-control command)
from stats.batch.consumer import LeanBatches
from stats.batch.message import MAX_PRODUCTS, SaveRequest, encode, encode_many, validate_any

logger = logging.getLogger(__name__)


def queue_product_stats(*, product_id: int, category_id: int | None = None) -> None:
    """Send one recompute request for a product (and the category of a deleted one).

    No publish retries: this runs after the editor's transaction committed, and the
    product's stale mark already guarantees the sweep will catch up if this fails. The
    publish itself (persistent delivery, serializer, connection pool, publish signals)
    is Celery's; the message is ``stats.batch.message``'s. A deleted product's request
    goes to its own product id's shard like any other.
    """
    headers, body = encode(
        SaveRequest(product_id=product_id, category_id=category_id),
        task_name=TASK_PRODUCT_STATS_BATCH,
        request_id=uuid(),
    )
    _publish(headers, body, queue=batch_queue_for(product_id))


def _publish(headers: dict, body: tuple, *, queue: str) -> None:
    message = task_message(
        headers=headers, properties={"correlation_id": headers["id"]}, body=body, sent_event=None
    )
    with app.producer_or_acquire() as producer:
        app.amqp.send_task_message(
            producer, TASK_PRODUCT_STATS_BATCH, message, queue=queue, retry=False
        )


def queue_products_stats(*, product_ids: list[int]) -> None:
    """Send the recompute requests of several saved products in as few messages as the
    shards allow (``stats.batch.message``: one per shard, ``MAX_PRODUCTS`` ids at most)."""
    by_queue: dict[str, list[int]] = {}
    for product_id in product_ids:
        by_queue.setdefault(batch_queue_for(product_id), []).append(product_id)
    for queue, ids in by_queue.items():
        for start in range(0, len(ids), MAX_PRODUCTS):
            part = ids[start : start + MAX_PRODUCTS]
            if len(part) == 1:
                queue_product_stats(product_id=part[0])
                continue
            headers, body = encode_many(part, task_name=TASK_PRODUCT_STATS_BATCH, request_id=uuid())
            _publish(headers, body, queue=queue)


def send_recompute_requests(requests: Iterable[tuple[int, int | None]]) -> None:
    """The sender of ``stats.batch.requests.recompute_requests`` (``config.outbox``).

    A transaction's saved products go out ``MAX_PRODUCTS`` at a time (an editor's save:
    one message of version 1, as ever); a deleted product's request, which carries its
    category, goes alone. Taken from the outbox a group at a time, so a failure counts
    as unsent only the group it broke and those after it.
    """
    items = iter(requests)
    sent = 0
    while group := list(islice(items, MAX_PRODUCTS)):
        try:
            saved = [product_id for product_id, category_id in group if category_id is None]
            queue_products_stats(product_ids=saved)
            for product_id, category_id in group:
                if category_id is not None:
                    queue_product_stats(product_id=product_id, category_id=category_id)
        except Exception as exc:
            raise PartlySent(sent) from exc
        sent += len(group)


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

    valid: list[SaveRequest] = []
    rejected = 0
    for r in requests:
        parsed = validate_any(r.args, r.kwargs, request_id=r.id)
        valid += parsed
        rejected += not parsed
    product_stats_batch_process(
        product_ids=[p.product_id for p in valid],
        category_ids=[p.category_id for p in valid if p.category_id is not None],
        requests=len(valid) + rejected,
        rejected=rejected,
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
