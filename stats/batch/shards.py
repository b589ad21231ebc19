"""The batch worker's shard queues: which it consumes, renewed every heartbeat (a consumer step).

Only with ``STATS_BATCH_SHARDS`` > 1, on workers that consume ``stats.batch``. The rule
and the lease table are ``stats.batch.leases``'; this step renews the lease on the
consumer's timer and starts or cancels shard consumers to match. All of them share the
task channel, so its QoS, the ack ledger (``stats.batch.acks``) and the flush watchdog
see one channel as before; a cancelled shard's buffered requests stay unacked on that
channel and are acked when their batch returns.
"""

import logging
from typing import Any

from celery import bootsteps
from celery.bootsteps import CLOSE  # type: ignore[attr-defined]  # (not in the stubs)
from django.conf import settings
from django.db import connection

from config.queues import QUEUE_STATS_BATCH, batch_shard_queue

logger = logging.getLogger(__name__)


def _consumes_batch_queue(parent: Any) -> bool:
    consume_from = parent.app.amqp.queues.consume_from
    return QUEUE_STATS_BATCH in (consume_from or parent.app.amqp.queues)


class BatchShardLeases(bootsteps.StartStopStep):
    """Renew this worker's lease every heartbeat and consume the shards it is given.

    Runs after the Tasks step on every consumer (re)start. Shards added here are also
    selected in ``app.amqp.queues.consume_from``, from which Celery rebuilds the task
    consumer after a broker reconnect, so a reconnect keeps them. If the database cannot
    be reached, the worker keeps its shards (logged once): a worker cut off from the
    database cannot recompute anything anyway, and its lease expiring lets the others
    claim its shards, which RabbitMQ hands over when this one is gone.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None
        self.database_down = False

    def start(self, parent: Any) -> None:
        if settings.STATS_BATCH_SHARDS <= 1 or not _consumes_batch_queue(parent):
            return
        self.renew(parent)
        self.tref = parent.timer.call_repeatedly(
            settings.STATS_BATCH_SHARD_HEARTBEAT, self.renew, (parent,)
        )

    def stop(self, parent: Any) -> None:
        if self.tref is None:
            return
        self.tref.cancel()
        self.tref = None
        if parent.blueprint.state == CLOSE:  # the worker stops (not a reconnect)
            self.release(parent)

    def consumed(self, parent: Any) -> list[int]:
        # The task consumer's queues, not its active tags: right after a reconnect the
        # consumer is rebuilt with its queues but starts consuming only in the event loop.
        names = (
            {queue.name for queue in parent.task_consumer.queues} if parent.task_consumer else set()
        )
        return [
            shard
            for shard in range(settings.STATS_BATCH_SHARDS)
            if batch_shard_queue(shard) in names
        ]

    def renew(self, parent: Any) -> None:
        from stats.batch.leases import batch_lease_renew

        try:
            wanted = batch_lease_renew(
                worker=parent.hostname,
                shards=settings.STATS_BATCH_SHARDS,
                heartbeat=settings.STATS_BATCH_SHARD_HEARTBEAT,
            )
        except Exception:
            if not self.database_down:
                logger.exception(
                    "Batch shard lease not renewed (database unreachable?): keeping shards %s.",
                    self.consumed(parent),
                )
            self.database_down = True
            return
        finally:
            # The main process keeps no connection between heartbeats (pool processes
            # hold their own), as the bulk worker does after its token check.
            connection.close()
        if self.database_down:
            logger.warning("Batch shard lease renewed again.")
            self.database_down = False
        self.apply(parent, wanted)

    def apply(self, parent: Any, wanted: list[int]) -> None:
        consumed = self.consumed(parent)
        queues = parent.app.amqp.queues
        for shard in sorted(set(consumed) - set(wanted)):
            parent.cancel_task_queue(batch_shard_queue(shard))
        for shard in sorted(set(wanted) - set(consumed)):
            name = batch_shard_queue(shard)
            queues.select_add(queues[name])  # kept across a reconnect (see the docstring)
            parent.add_task_queue(name)
        if set(wanted) != set(consumed):
            logger.info("Batch shards now consumed: %s (were %s).", wanted, consumed)

    def release(self, parent: Any) -> None:
        from stats.batch.leases import batch_lease_release

        try:
            batch_lease_release(worker=parent.hostname)
        except Exception:
            logger.warning("Could not release the batch shard lease; it expires instead.")
        finally:
            connection.close()
