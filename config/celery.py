"""The Celery app, as in Celery's own Django example, with the queues and routes of the table.

Workers run as ``celery -A config worker -Q <queue> ...`` (see the Procfile). Every queue,
the tasks routed to it and the worker role that consumes it are one table,
``config.queues``; this module declares them for Celery, and connects the two things a
starting worker does: take its role's rules (``config.workers``) and check that the
broker's queues have the configured type (``config.queue_types``).
"""

import os

from celery import Celery
from celery.signals import worker_init
from django.conf import settings
from kombu import Exchange, Queue

from config.queue_types import QueueTypeMismatch, check_queue_declarations, queue_arguments
from config.queues import QUEUE_DEFAULT, QUEUES, batch_shard_declarations, declared_queues
from config.workers import apply_worker_role, consumed_queues

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("catalog_editor")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _queue(name: str, *, single_active_consumer: bool = False) -> Queue:
    # Every queue gets the configured type's arguments (CELERY_QUEUE_TYPE): quorum queues
    # on a RabbitMQ cluster, classic ones otherwise (config/queue_types.py).
    arguments = {"x-single-active-consumer": True} if single_active_consumer else {}
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


def batch_shard_queues(count: int | None = None) -> dict[str, Queue]:
    """The save requests' shard queues for ``count`` shards (``STATS_BATCH_SHARDS`` by
    default; none for one shard).

    No task is routed to them by name: ``config.queues.batch_queue_for`` picks the shard of
    each product. Each batch worker consumes the shards the lease table gives it
    (``stats.batch.shards``).
    """
    return {
        name: _queue(name, single_active_consumer=sac)
        for name, sac in batch_shard_declarations(count)
    }


app.conf.task_default_queue = QUEUE_DEFAULT
app.conf.task_queues = tuple(
    _queue(name, single_active_consumer=sac) for name, sac in declared_queues()
)
app.conf.task_routes = {
    task: {"queue": queue.name, "routing_key": queue.name}
    for queue in QUEUES
    for task in queue.routes
}


def _queues_match_broker(sender: object, **kwargs: object) -> None:
    # A queue declared earlier with the other type makes every declaration fail with
    # PRECONDITION_FAILED, which the consumer would retry forever: say why, and exit.
    if not app.conf.broker_url.startswith(("amqp", "pyamqp")):
        return
    consumed = {name: app.amqp.queues[name] for name in consumed_queues(app)}
    for queue in QUEUES:  # and the shard queues a worker may be given at runtime
        if queue.sharded and queue.name in consumed:
            consumed |= batch_shard_queues()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
            check_queue_declarations(conn, consumed.values(), settings.CELERY_QUEUE_TYPE)
    except QueueTypeMismatch as exc:
        raise SystemExit(f"Refusing to start: {exc}") from None
    except Exception:
        pass  # and declares the queues itself; only a type mismatch stops the worker


worker_init.connect(_queues_match_broker)
worker_init.connect(apply_worker_role)

app.autodiscover_tasks()
