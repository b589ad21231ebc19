"""The Celery app, its queues, routes, schedule and per-role worker tuning.

Queue names are constants imported everywhere else. Workers run as
``celery -A config worker -Q <queue> ...`` (see the Procfile and the README).
"""

import logging
import math
import os

from celery import Celery
from celery.signals import worker_init
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Queue and task names live in config.queues (importable from settings too).
from config.queues import (
    QUEUE_DEFAULT,
    QUEUE_STATS_BATCH,
    QUEUE_STATS_BULK,
    TASK_BULK_CHUNK,
    TASK_BULK_NIGHTLY,
    TASK_BULK_RESUME,
    TASK_CATEGORY_REFRESH,
    TASK_MONITORING_SAMPLE,
    TASK_PRODUCT_STATS_BATCH,
    TASK_STALE_SWEEP,
)

logger = logging.getLogger(__name__)

app = Celery("catalog_editor")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _queue(name: str, **queue_arguments: object) -> Queue:
    return Queue(
        name,
        Exchange(name, type="direct", durable=True),
        routing_key=name,
        durable=True,
        queue_arguments=queue_arguments or None,
    )


app.conf.task_default_queue = QUEUE_DEFAULT
app.conf.task_queues = (
    _queue(QUEUE_DEFAULT),
    _queue(QUEUE_STATS_BATCH),
    # Rate limits are per worker: RabbitMQ's single active consumer lets a standby bulk
    # worker wait attached without doubling the rate. The argument is fixed when the
    # queue is declared; see the README for moving an existing queue.
    _queue(QUEUE_STATS_BULK, **{"x-single-active-consumer": True}),
)
app.conf.task_routes = {
    TASK_PRODUCT_STATS_BATCH: {"queue": QUEUE_STATS_BATCH, "routing_key": QUEUE_STATS_BATCH},
    # The sweep runs beside the batches it backs up, so no extra worker is needed.
    TASK_STALE_SWEEP: {"queue": QUEUE_STATS_BATCH, "routing_key": QUEUE_STATS_BATCH},
    TASK_CATEGORY_REFRESH: {"queue": QUEUE_STATS_BATCH, "routing_key": QUEUE_STATS_BATCH},
    TASK_BULK_CHUNK: {"queue": QUEUE_STATS_BULK, "routing_key": QUEUE_STATS_BULK},
    TASK_MONITORING_SAMPLE: {"queue": QUEUE_STATS_BATCH, "routing_key": QUEUE_STATS_BATCH},
    # Starting and resuming runs is quick bookkeeping: not worth a rate-limit token.
    TASK_BULK_NIGHTLY: {"queue": QUEUE_STATS_BATCH, "routing_key": QUEUE_STATS_BATCH},
    TASK_BULK_RESUME: {"queue": QUEUE_STATS_BATCH, "routing_key": QUEUE_STATS_BATCH},
}


def prefetch_multiplier_for(queues: set[str], concurrency: int) -> int | None:
    """The prefetch multiplier a worker needs for the queues it consumes, or None.

    celery-batches can only count up to what the broker lets the worker hold
    unacked, so a batch worker must be allowed at least two full batches
    (``2 x flush_every`` messages) or it only ever flushes on the timer, in
    prefetch-sized batches. Celery 5 ignores ``--prefetch-multiplier=0`` on the
    command line, so this is configuration, applied when the worker starts.
    """
    from django.conf import settings

    if QUEUE_STATS_BULK in queues:
        # The backlog must stay on the broker as ready messages: hold one at a time.
        return 1
    if QUEUE_STATS_BATCH in queues:
        return max(1, math.ceil(2 * settings.STATS_BATCH_FLUSH_EVERY / max(1, concurrency)))
    return None


class BulkWorkerMisconfigured(RuntimeError):
    pass


def check_bulk_worker(queues: set[str], concurrency: int) -> None:
    """Refuse a bulk worker that would break the rate limit or the batch buffer.

    The rate limit is enforced per worker process tree, so more than one pool process
    would not raise it but would hold more messages; and a worker that also consumed the
    batch queue would need a large prefetch for batches and a prefetch of 1 for bulk.
    """
    if QUEUE_STATS_BULK not in queues:
        return
    if queues != {QUEUE_STATS_BULK}:
        raise BulkWorkerMisconfigured(
            f"The bulk worker must consume only {QUEUE_STATS_BULK!r} (-Q {QUEUE_STATS_BULK}); "
            f"got {sorted(queues)}."
        )
    if concurrency != 1:
        raise BulkWorkerMisconfigured(
            f"The bulk worker must run with -c 1 (got -c {concurrency}): see README."
        )


@worker_init.connect
def _tune_worker_for_its_queues(sender, **kwargs) -> None:
    # worker_init fires after the queues and concurrency are known and before the
    # consumer (which reads prefetch_multiplier) is built.
    queues = set(sender.app.amqp.queues.consume_from or sender.app.amqp.queues)
    try:
        check_bulk_worker(queues, sender.concurrency)
    except BulkWorkerMisconfigured as exc:
        # Celery logs and swallows exceptions from signal handlers; exit for real.
        logger.critical("%s", exc)
        raise SystemExit(f"Refusing to start: {exc}") from None
    multiplier = prefetch_multiplier_for(queues, sender.concurrency)
    if multiplier is not None:
        sender.prefetch_multiplier = multiplier


app.autodiscover_tasks()

# Heals celery-batches' flush timer after a broker reconnect (see the step's docstring).
app.steps["consumer"].add("stats.worker_control:BatchFlushWatchdog")
# Lets a batch be acked with one frame (see stats.worker_control.AckLedger).
app.steps["consumer"].add("stats.worker_control:RecordOtherDeliveries")
