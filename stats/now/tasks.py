"""Celery wiring of a recompute on request: publish, then call one service. No logic.

A plain task on the ``stats.now`` queue, which the batch worker consumes beside
``stats.batch``: celery-batches only buffers its own task (``LeanBatches``' strategy is
installed for that task alone), so this one runs as soon as the pool is free, and the
batch buffer is neither flushed by it nor counted with it. Its deliveries share the
worker's channel with the batches' and are recorded in the ack ledger like the sweep's
(``stats.batch.acks``), so a batch's single ack never settles it early.
"""

import logging
from collections.abc import Iterable

from celery import Task
from django.db import OperationalError

from config.celery import app
from config.queues import TASK_PRODUCT_STATS_NOW

logger = logging.getLogger(__name__)

#: One product takes milliseconds; a minute means something is stuck (the mark stays).
TIME_LIMIT = 60


def send_now_requests(requests: Iterable[tuple[int, None]]) -> None:
    """The sender of ``stats.now.services.now_requests`` (``config.outbox``).

    One message per product, no publish retries: the mark is the safety net.
    """
    for product_id, _ in requests:
        product_stats_now.apply_async(args=(product_id,), retry=False)


@app.task(
    bind=True,
    name=TASK_PRODUCT_STATS_NOW,
    acks_late=True,
    ignore_result=True,
    time_limit=TIME_LIMIT,
    soft_time_limit=TIME_LIMIT - 10,
    # A lock conflict with an editor's save or a batch: try again shortly. After the
    # last try the product keeps its stale mark and the sweep recomputes it.
    autoretry_for=(OperationalError,),
    max_retries=3,
    default_retry_delay=1,
)
def product_stats_now(self: Task, product_id: int) -> None:
    from stats.now.services import product_stats_recompute_now
    from stats.records.task_runs import NOW, task_run_timed

    if not isinstance(product_id, int) or isinstance(product_id, bool):
        # A malformed message: nothing to recompute, and retrying would not help.
        logger.error("Rejected malformed recompute-now message %s: %r", self.request.id, product_id)
        return
    with task_run_timed(NOW, worker=self.request.hostname or ""):
        product_stats_recompute_now(product_id=product_id)
