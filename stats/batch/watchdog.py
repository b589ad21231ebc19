"""Keeps celery-batches flushing across broker reconnects (a consumer step)."""

import logging
import time
from itertools import count
from typing import Any

from celery import bootsteps
from celery_batches import Batches, consume_queue

from config.humanize import quantity
from stats.batch.consumer import buffered_since

logger = logging.getLogger(__name__)


class BatchFlushWatchdog(bootsteps.StartStopStep):
    """Keep celery-batches flushing across broker reconnects.

    Known upstream failure (fixed upstream, not released; reproduced by
    ``tests/stats/test_broker_restart.py``): a reconnect clears the consumer's timer, but
    the task still holds the dead timer entry in ``_tref``, so no new request re-arms it
    and a worker holding fewer than ``flush_every`` requests never flushes them. Two
    remedies, because the second also covers causes we have not seen:

    - on every (re)start of the consumer, the requests that came over the previous
      connection are dropped (they are unacked on a closed channel, so RabbitMQ
      redelivers them, and acking them would fail) and the timer entry is reset;
    - every flush interval, a buffer whose oldest request has waited more than twice the
      interval is flushed at once and its timer re-armed, with an error in the log.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, parent: Any) -> None:
        tasks = [t for t in parent.app.tasks.values() if isinstance(t, Batches)]
        if not tasks:
            return
        for task in tasks:
            self.forget_previous_connection(parent, task)
        every = max(1.0, min(float(t.flush_interval) for t in tasks))
        self.tref = parent.timer.call_repeatedly(every, self.check, (parent, tasks))

    def forget_previous_connection(self, parent: Any, task: Batches) -> None:
        channel = parent.task_consumer.channel if parent.task_consumer else None
        dropped = 0
        for queue in (task._buffer, task._pending):
            for request in list(consume_queue(queue)):
                if getattr(request.message, "channel", None) is channel:
                    queue.put(request)
                else:
                    dropped += 1
        if task._tref is not None:
            task._tref.cancel()
            task._tref = None
        left = task._buffer.qsize() + task._pending.qsize()
        task._count = count(left + 1)
        if left:
            task._tref = parent.timer.call_repeatedly(task.flush_interval, task._do_flush)
        else:
            buffered_since.pop(task.name, None)
        if dropped:
            logger.warning(
                "Batch task %s: dropped %d buffered requests of the previous broker "
                "connection; RabbitMQ redelivers them.",
                task.name,
                dropped,
            )

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def check(self, parent: Any, tasks: list[Batches]) -> None:
        now = time.time()
        for task in tasks:
            since = buffered_since.get(task.name)
            buffered = task._buffer.qsize()
            if not buffered or since is None or now - since <= 2 * task.flush_interval:
                continue
            logger.error(
                "Batch task %s holds %s unflushed for %.0f s (flush interval %s s): "
                "re-arming its flush timer.",
                task.name,
                quantity(buffered, "request"),
                now - since,
                task.flush_interval,
            )
            if task._tref is not None:
                task._tref.cancel()
            task._tref = parent.timer.call_repeatedly(task.flush_interval, task._do_flush)
            task._do_flush()
