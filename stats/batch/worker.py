"""The batch worker's rules, applied when a worker that consumes the batch queue starts.

celery-batches can only count up to what the broker lets the worker hold unacked, so a
batch worker must be allowed at least two full batches (``2 x flush_every`` messages) or
it only ever flushes on the timer, in prefetch-sized batches. Celery 5 ignores
``--prefetch-multiplier=0`` on the command line, so this is configuration, set here.
"""

import math
from typing import TYPE_CHECKING, Any

from celery.signals import worker_init
from django.conf import settings

from config.celery import app
from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK

if TYPE_CHECKING:
    from celery.worker import WorkController


def batch_prefetch_multiplier(concurrency: int) -> int:
    """The prefetch multiplier that lets ``concurrency`` processes hold two full batches."""
    return max(1, math.ceil(2 * settings.STATS_BATCH_FLUSH_EVERY / max(1, concurrency)))


def consumed_queues(worker: "WorkController") -> set[str]:
    """The queues a starting worker consumes (``-Q``), or every declared queue."""
    return set(worker.app.amqp.queues.consume_from or worker.app.amqp.queues)


@worker_init.connect
def _batch_worker_prefetch(sender: Any, **kwargs: Any) -> None:
    # worker_init fires once the queues and concurrency are known and before the consumer
    # (which reads prefetch_multiplier) is built. A worker that also consumed the bulk
    # queue is refused by stats.bulk.worker.
    queues = consumed_queues(sender)
    if QUEUE_STATS_BATCH in queues and QUEUE_STATS_BULK not in queues:
        sender.prefetch_multiplier = batch_prefetch_multiplier(sender.concurrency)


# Heals celery-batches' flush timer after a broker reconnect (see the step's docstring).
app.steps["consumer"].add("stats.batch.watchdog:BatchFlushWatchdog")
# Lets a batch be acked with one frame (see stats.batch.acks.AckLedger).
app.steps["consumer"].add("stats.batch.acks:RecordOtherDeliveries")
# With STATS_BATCH_SHARDS > 1: which shard queues this worker consumes (stats.batch.shards).
app.steps["consumer"].add("stats.batch.shards:BatchShardLeases")
