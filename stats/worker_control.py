"""Worker remote-control command ``batch_buffer``: what each celery-batches task holds.

Buffered requests are invisible to ``inspect reserved`` and to task events; from outside
the worker only RabbitMQ's unacked count hints at them. Imported by ``stats.tasks`` so
every worker that loads our tasks answers it.
"""

from celery.worker.control import inspect_command
from celery_batches import Batches


@inspect_command(name="batch_buffer")
def batch_buffer(state, **kwargs) -> dict:
    answer = {}
    for name, task in state.consumer.app.tasks.items():
        if isinstance(task, Batches):
            answer[name] = {
                "buffered": task._buffer.qsize() + task._pending.qsize(),
                "last_flush_at": getattr(task, "last_flush_at", None),
                "started_at": getattr(task, "started_at", None),
                "flush_interval": task.flush_interval,
                "flush_every": task.flush_every,
            }
    return answer
