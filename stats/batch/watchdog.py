"""The last resort if a batch buffer stops flushing: flush it and say so (a consumer step).

The failure it was written for, celery-batches' flush timer left dead by a broker
reconnect (its issues #99/#107), is now repaired where it happens:
``stats.batch.consumer.LeanBatches.start_consumer`` runs on every consumer start, as
upstream's fix #108 does. What this step still guards: a buffer whose timer stops firing
while the consumer carries on, for a cause nobody has seen (none is known with
celery-batches 0.11 and the repair). It then flushes the buffer, re-arms the timer and logs
an error, which is the only sign an operator would get.

When to delete it: once a celery-batches release carrying #108 (the first after 0.11) is
pinned in constraints.txt, its contract test in ``tests/contracts/test_celery_batches.py``
passes, and this step's error ("holds N unflushed") has never been logged since the repair.
Registry: config.upstream "celery-batches buffer and flush timer".
"""

import logging
import time
from typing import Any

from celery import bootsteps
from celery_batches import Batches

from config.humanize import quantity
from stats.batch.consumer import buffered_since

logger = logging.getLogger(__name__)


class BatchFlushWatchdog(bootsteps.StartStopStep):
    """Every flush interval, a buffer whose oldest request has waited more than twice the
    interval is flushed at once and its timer re-armed, with an error in the log."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, parent: Any) -> None:
        tasks = [t for t in parent.app.tasks.values() if isinstance(t, Batches)]
        if not tasks:
            return
        every = max(1.0, min(float(t.flush_interval) for t in tasks))
        self.tref = parent.timer.call_repeatedly(every, self.check, (parent, tasks))

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
