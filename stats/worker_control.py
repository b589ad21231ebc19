"""Worker remote-control command ``batch_buffer``: what each celery-batches task holds.

Buffered requests are invisible to ``inspect reserved`` and to task events; from outside
the worker only RabbitMQ's unacked count hints at them. Imported by ``stats.tasks`` so
every worker that loads our tasks answers it.
"""

import time

from celery.signals import task_received
from celery.worker.control import inspect_command
from celery_batches import Batches

#: Per Batches task: when its buffer last went from empty to holding a request.
_buffered_since: dict[str, float] = {}


@task_received.connect(dispatch_uid="stats.worker_control.buffered_since")
def _note_buffer_filling(sender=None, request=None, **kwargs) -> None:
    # celery-batches sends task_received right after buffering the request, in the
    # consumer's thread, before any count flush: a size of 1 means it was empty.
    task = getattr(request, "task", None)
    if isinstance(task, Batches) and task._buffer.qsize() == 1:
        _buffered_since[task.name] = time.time()


@inspect_command(name="batch_buffer")
def batch_buffer(state, **kwargs) -> dict:
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
            buffered = task._buffer.qsize() + task._pending.qsize()
            answer[name] = {
                "buffered": buffered,
                "buffered_since": _buffered_since.get(name) if buffered else None,
                "last_flush_at": getattr(task, "last_flush_at", None),
                "started_at": getattr(task, "started_at", None),
                "flush_interval": task.flush_interval,
                "flush_every": task.flush_every,
            }
    return answer
