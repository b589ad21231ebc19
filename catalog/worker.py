"""The import worker's rule: hold one import message at a time.

An import is minutes of work; with Celery's default prefetch (4 per process) one worker
would reserve the next imports while running one, and a second import worker started to
share the load would find them taken. A worker that consumes the import queue with
another one keeps the other queue's prefetch (the batch worker sets its own).
"""

from typing import TYPE_CHECKING, Any

from celery.signals import worker_init

from config.queues import QUEUE_CATALOG_IMPORTS

if TYPE_CHECKING:
    from celery.worker import WorkController


def _consumed_queues(worker: "WorkController") -> set[str]:
    return set(worker.app.amqp.queues.consume_from or worker.app.amqp.queues)


@worker_init.connect
def _import_worker_prefetch(sender: Any, **kwargs: Any) -> None:
    if _consumed_queues(sender) == {QUEUE_CATALOG_IMPORTS}:
        sender.prefetch_multiplier = 1
