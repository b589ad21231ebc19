"""The Celery app, as in Celery's own Django example, with its queues and routes.

Workers run as ``celery -A config worker -Q <queue> ...`` (see the Procfile). Each queue
is declared once here, with the tasks routed to it; queue and task names are constants
(``config.queues``). The workers' own rules (the batch worker's prefetch, the bulk
worker's single process) live with their tasks: ``stats.batch.worker``,
``stats.bulk.worker``.
"""

import os

from celery import Celery
from celery.signals import worker_init
from django.conf import settings
from kombu import Exchange, Queue

from config.queue_types import QueueTypeMismatch, check_queue_declarations, queue_arguments
from config.queues import (
    QUEUE_CATALOG_IMPORTS,
    QUEUE_DEFAULT,
    QUEUE_STATS_BATCH,
    QUEUE_STATS_BULK,
    QUEUE_STATS_NOW,
    TASK_BULK_CHUNK,
    TASK_BULK_NIGHTLY,
    TASK_BULK_RESUME,
    TASK_CATALOG_IMPORT,
    TASK_CATALOG_IMPORT_SWEEP,
    TASK_CATEGORY_REFRESH,
    TASK_PRODUCT_STATS_BATCH,
    TASK_PRODUCT_STATS_NOW,
    TASK_STALE_SWEEP,
    batch_shard_queue_names,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("catalog_editor")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _queue(name: str, **arguments: object) -> Queue:
    # Every queue gets the configured type's arguments (CELERY_QUEUE_TYPE): quorum queues
    # on a RabbitMQ cluster, classic ones otherwise (config/queue_types.py).
    return Queue(
        name,
        Exchange(name, type="direct", durable=True),
        routing_key=name,
        durable=True,
        queue_arguments=queue_arguments(
            queue_type=settings.CELERY_QUEUE_TYPE,
            delivery_limit=settings.CELERY_QUEUE_DELIVERY_LIMIT,
            **arguments,
        ),
    )


#: Each queue with the tasks routed to it.
QUEUES: dict[str, tuple[Queue, list[str]]] = {
    QUEUE_DEFAULT: (_queue(QUEUE_DEFAULT), []),
    QUEUE_STATS_BATCH: (
        _queue(QUEUE_STATS_BATCH),
        [
            TASK_PRODUCT_STATS_BATCH,
            # The sweep and the periodic bookkeeping run beside the batches they back up,
            # so no extra worker is needed; starting and resuming bulk runs is quick and
            # not worth a rate-limit token.
            TASK_STALE_SWEEP,
            TASK_CATEGORY_REFRESH,
            TASK_BULK_NIGHTLY,
            TASK_BULK_RESUME,
        ],
    ),
    # One product on request, on a queue of its own so that it never waits behind the
    # batch queue's backlog; the batch worker consumes both (Procfile). Plain tasks, so
    # celery-batches never buffers them (docs/architecture.md).
    QUEUE_STATS_NOW: (_queue(QUEUE_STATS_NOW), [TASK_PRODUCT_STATS_NOW]),
    # Rate limits are per worker: RabbitMQ's single active consumer lets a standby bulk
    # worker wait attached without doubling the rate. The argument is fixed when the
    # queue is declared; docs/operations.md says how to move an existing queue.
    QUEUE_STATS_BULK: (
        _queue(QUEUE_STATS_BULK, **{"x-single-active-consumer": True}),
        [TASK_BULK_CHUNK],
    ),
    # Minutes of work per message and hundreds of MB for a large file: a worker of its
    # own (the Procfile's import-worker), one import at a time. Its sweep runs there too:
    # the import worker shares the uploads directory with the web, the others may not.
    QUEUE_CATALOG_IMPORTS: (
        _queue(QUEUE_CATALOG_IMPORTS),
        [TASK_CATALOG_IMPORT, TASK_CATALOG_IMPORT_SWEEP],
    ),
}


def batch_shard_queues(count: int) -> dict[str, Queue]:
    """The save requests' shard queues for ``count`` shards (none for one shard).

    No task is routed to them by name: ``stats.batch.tasks.queue_product_stats`` picks the
    shard of each product. Each batch worker consumes the shards the lease table gives it
    (``stats.batch.shards``); the single active consumer keeps one buffer per shard even
    while two workers both consume it during a rebalance.
    """
    names = batch_shard_queue_names(count)
    return {name: _queue(name, **{"x-single-active-consumer": True}) for name in names}


for _name, _shard_queue in batch_shard_queues(settings.STATS_BATCH_SHARDS).items():
    QUEUES[_name] = (_shard_queue, [])

app.conf.task_default_queue = QUEUE_DEFAULT
app.conf.task_queues = tuple(queue for queue, _ in QUEUES.values())
app.conf.task_routes = {
    task: {"queue": name, "routing_key": name}
    for name, (_, tasks) in QUEUES.items()
    for task in tasks
}


@worker_init.connect
def _queues_match_broker(sender: object, **kwargs: object) -> None:
    # A queue declared earlier with the other type makes every declaration fail with
    # PRECONDITION_FAILED, which the consumer would retry forever: say why, and exit.
    if not app.conf.broker_url.startswith(("amqp", "pyamqp")):
        return
    consumed = dict(app.amqp.queues.consume_from or app.amqp.queues)
    if QUEUE_STATS_BATCH in consumed:  # and the shard queues it may be given at runtime
        consumed |= batch_shard_queues(settings.STATS_BATCH_SHARDS)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
            check_queue_declarations(conn, consumed.values(), settings.CELERY_QUEUE_TYPE)
    except QueueTypeMismatch as exc:
        raise SystemExit(f"Refusing to start: {exc}") from None
    except Exception:
        pass  # and declares the queues itself; only a type mismatch stops the worker


app.autodiscover_tasks()
