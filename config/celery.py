"""The Celery app, its queues, routes, schedule and per-role worker tuning.

Queue names are constants imported everywhere else. Workers run as
``celery -A config worker -Q <queue> ...`` (see the Procfile and the README).
"""

import math
import os

from celery import Celery
from celery.signals import worker_init
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.queues import (  # noqa: F401 (re-exported: the one place to find queues)
    QUEUE_DEFAULT,
    QUEUE_STATS_BATCH,
    QUEUE_STATS_BULK,
    TASK_CATEGORY_REFRESH,
    TASK_PRODUCT_STATS_BATCH,
    TASK_STALE_SWEEP,
)

app = Celery("catalog_editor")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _queue(name: str) -> Queue:
    return Queue(name, Exchange(name, type="direct", durable=True), routing_key=name, durable=True)


app.conf.task_default_queue = QUEUE_DEFAULT
app.conf.task_queues = (_queue(QUEUE_DEFAULT), _queue(QUEUE_STATS_BATCH))
app.conf.task_routes = {
    TASK_PRODUCT_STATS_BATCH: {"queue": QUEUE_STATS_BATCH, "routing_key": QUEUE_STATS_BATCH},
    # The sweep runs beside the batches it backs up, so no extra worker is needed.
    TASK_STALE_SWEEP: {"queue": QUEUE_STATS_BATCH, "routing_key": QUEUE_STATS_BATCH},
    TASK_CATEGORY_REFRESH: {"queue": QUEUE_STATS_BATCH, "routing_key": QUEUE_STATS_BATCH},
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

    if QUEUE_STATS_BATCH in queues:
        return max(1, math.ceil(2 * settings.STATS_BATCH_FLUSH_EVERY / max(1, concurrency)))
    return None


@worker_init.connect
def _tune_worker_for_its_queues(sender, **kwargs) -> None:
    # worker_init fires after the queues and concurrency are known and before the
    # consumer (which reads prefetch_multiplier) is built.
    queues = set(sender.app.amqp.queues.consume_from or sender.app.amqp.queues)
    multiplier = prefetch_multiplier_for(queues, sender.concurrency)
    if multiplier is not None:
        sender.prefetch_multiplier = multiplier


app.autodiscover_tasks()
