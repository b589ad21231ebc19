"""The batch worker's shard queues: which it consumes, renewed every heartbeat (a consumer step).

Only with ``STATS_BATCH_SHARDS`` > 1, on workers that consume ``stats.batch``. The rule
and the lease table are ``stats.batch.leases``'; this step renews the lease (in a thread)
and starts or cancels shard consumers to match (in the event loop). All of them share the
task channel, so its QoS, the ack ledger (``stats.batch.acks``) and the reconnect repair
(``LeanBatches.start_consumer``) see one channel as before; a cancelled shard's buffered
requests stay unacked on that channel and are acked when their batch returns.
"""

import logging
import threading
from typing import Any

from celery import bootsteps

# Registry: config.upstream "Celery consumer queues and close state".
from celery.bootsteps import CLOSE  # type: ignore[attr-defined]  # (not in the stubs)
from django.conf import settings
from django.db import connection

from config.queues import (
    QUEUE_STATS_BATCH,
    batch_shard_queue,
    batch_shard_queue_names,
    batch_shards_among,
)
from config.workers import consumed_queues

logger = logging.getLogger(__name__)

#: Seconds a stopping worker waits for its lease thread to release the lease. With the
#: database unreachable the thread may be inside a connect (``DATABASE_CONNECT_TIMEOUT``
#: each, a renewal's then the release's): the worker stops anyway and the lease expires.
STOP_WAIT = 10.0


def _consumes_batch_queue(parent: Any) -> bool:
    return QUEUE_STATS_BATCH in consumed_queues(parent.app)


class BatchShardLeases(bootsteps.StartStopStep):
    """Renew this worker's lease every heartbeat and consume the shards it is given.

    The lease is renewed by a thread of its own, so the worker's event loop never waits
    on the database (an unreachable host could hold a connect for minutes); the event
    loop only compares the shards the last renewal gave with those it consumes, every
    second, and adds or cancels consumers. Shards added are also selected in
    ``app.amqp.queues.consume_from``, from which Celery rebuilds the task consumer after
    a broker reconnect, so a reconnect keeps them. If the database cannot be reached, the
    worker keeps its shards (logged once): a worker cut off from the database cannot
    recompute anything anyway, and its lease expiring lets the others claim its shards,
    which RabbitMQ hands over when this one is gone.

    On shutdown the lease thread releases the lease itself, and the worker waits for it at
    most ``STOP_WAIT`` seconds: a release never runs on the worker's own thread, where an
    unreachable database would hold the shutdown.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()
        #: The shards the last renewal gave this worker; None until the first one.
        self.wanted: list[int] | None = None
        self.database_down = False
        #: Set when a stopping worker gave up waiting for the release (logged once).
        self.abandoned = False

    def start(self, parent: Any) -> None:
        if not batch_shard_queue_names() or not _consumes_batch_queue(parent):
            return
        if self.thread is None:  # one for the worker's life, across reconnects
            self.thread = threading.Thread(
                target=self.run, args=(parent.hostname,), name="batch-shard-leases", daemon=True
            )
            self.thread.start()
        self.tref = parent.timer.call_repeatedly(1.0, self.apply, (parent,))

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        if self.thread is not None and parent.blueprint.state == CLOSE:  # not a reconnect
            self.stopping.set()  # the thread releases the lease and ends
            self.thread.join(timeout=STOP_WAIT)
            if self.thread.is_alive():
                from stats.batch.leases import LEASE_HEARTBEATS

                self.abandoned = True
                logger.warning(
                    "Batch shard lease not released within %.0f s (database unreachable?); "
                    "it expires by itself within %s s.",
                    STOP_WAIT,
                    LEASE_HEARTBEATS * settings.STATS_BATCH_SHARD_HEARTBEAT,
                )
            self.thread = None

    def run(self, worker: str) -> None:
        while not self.stopping.is_set():
            self.renew(worker)
            self.stopping.wait(settings.STATS_BATCH_SHARD_HEARTBEAT)
        self.release(worker)

    def renew(self, worker: str) -> None:
        from stats.batch.leases import batch_lease_renew

        try:
            self.wanted = batch_lease_renew(
                worker=worker,
                shards=settings.STATS_BATCH_SHARDS,
                heartbeat=settings.STATS_BATCH_SHARD_HEARTBEAT,
            )
        except Exception:
            if not self.database_down:
                logger.exception(
                    "Batch shard lease not renewed (database unreachable?): keeping the shards."
                )
            self.database_down = True
            return
        finally:
            # No connection kept between heartbeats (pool processes hold their own), as
            # the bulk worker does after its token check.
            connection.close()
        if self.database_down:
            logger.warning("Batch shard lease renewed again.")
            self.database_down = False

    def consumed(self, parent: Any) -> list[int]:
        # The task consumer's queues, not its active tags: right after a reconnect the
        # consumer is rebuilt with its queues but starts consuming only in the event loop.
        consumer = parent.task_consumer
        names = {queue.name for queue in consumer.queues} if consumer else set()
        return batch_shards_among(names)

    def apply(self, parent: Any) -> None:
        wanted = self.wanted
        if wanted is None or parent.task_consumer is None:
            return
        consumed = self.consumed(parent)
        if set(wanted) == set(consumed):
            return
        queues = parent.app.amqp.queues
        for shard in sorted(set(consumed) - set(wanted)):
            parent.cancel_task_queue(batch_shard_queue(shard))
        for shard in sorted(set(wanted) - set(consumed)):
            name = batch_shard_queue(shard)
            queues.select_add(queues[name])  # kept across a reconnect (see the docstring)
            parent.add_task_queue(name)
        logger.info("Batch shards now consumed: %s (were %s).", wanted, consumed)

    def release(self, worker: str) -> None:
        from stats.batch.leases import batch_lease_release

        try:
            batch_lease_release(worker=worker)
        except Exception:
            if not self.abandoned:  # else the stop said it already
                logger.warning("Could not release the batch shard lease; it expires instead.")
        finally:
            connection.close()
