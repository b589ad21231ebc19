"""The ``batch_buffer`` remote-control command: what each batch worker holds unflushed.

Buffered requests are invisible to ``inspect reserved`` and to task events; from outside
the worker only RabbitMQ's unacked count hints at them. Imported with the batch tasks, so
every worker that loads them answers it (``stats.monitoring.probes`` asks).
"""

from typing import Any

from celery.worker.control import inspect_command
from celery_batches import Batches

from stats.batch.consumer import buffered_since


@inspect_command(name="batch_buffer")
def batch_buffer(state: Any, **kwargs: Any) -> dict[str, dict[str, Any]]:
    """Buffers of the Batches tasks, from workers that consume their queue only.

    Every worker loads every task, so a bulk worker would otherwise report an empty
    batch buffer it can never fill.
    """
    consumer = state.consumer
    consumed = {queue.name for queue in consumer.task_consumer.queues}
    routes = consumer.app.conf.task_routes or {}
    answer = {}
    for name, task in consumer.app.tasks.items():
        queue = (routes.get(name) or {}).get("queue", consumer.app.conf.task_default_queue)
        if queue not in consumed:
            continue
        if isinstance(task, Batches):
            # Registry: config.upstream "celery-batches buffer and flush timer".
            buffered = task._buffer.qsize() + task._pending.qsize()
            answer[name] = {
                "buffered": buffered,
                "buffered_since": buffered_since.get(name) if buffered else None,
                "last_flush_at": getattr(task, "last_flush_at", None),
                "started_at": getattr(task, "started_at", None),
                "flush_interval": task.flush_interval,
                "flush_every": task.flush_every,
            }
    return answer
