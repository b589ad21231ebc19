"""Publishing as a STATS_BATCH_SHARDS deployment from a test or benchmark process.

The settings are read once when ``config.celery`` is imported, so a process started with
one shard declares no shard queue: publishing to one would create it without its single
active consumer argument, which the workers' declaration then refuses.
"""

import contextlib
from collections.abc import Iterator

from django.test.utils import override_settings

from config.celery import app, batch_shard_queues
from config.queues import batch_shard_queue
from stats.batch.leases import lease_expiry, shards_for
from stats.models import BatchWorkerLease
from testkit.workers import purge_queue


@contextlib.contextmanager
def publishing_to_shards(count: int) -> Iterator[list[str]]:
    """Route this process's save requests to ``count`` shard queues, emptied; deleted after."""
    queues = batch_shard_queues(count)
    with override_settings(STATS_BATCH_SHARDS=count):
        for queue in queues.values():
            app.amqp.queues.add(queue)
        for name in queues:
            purge_queue(name)
        try:
            yield list(queues)
        finally:
            with app.connection_for_write() as conn:
                for name, queue in queues.items():
                    queue.bind(conn.default_channel).delete()
                    app.amqp.queues.pop(name, None)


def shards_shared_out(workers: list[str], shards: int) -> bool:
    """Each of ``workers`` holds its share of ``shards`` in the lease table, and consumes
    exactly that share (asked of the workers: a worker applies a new lease within a
    second, and RabbitMQ's counts show only the active one of two consumers)."""
    expected = {name: shards_for(worker=name, live=workers, shards=shards) for name in workers}
    owners = {lease.worker: sorted(lease.shards) for lease in BatchWorkerLease.objects.all()}
    if owners != expected:
        return False
    replies = app.control.inspect(destination=workers, timeout=1).active_queues() or {}
    consumed = {
        name: sorted(
            shard
            for shard in range(shards)
            if batch_shard_queue(shard) in {queue["name"] for queue in queues or []}
        )
        for name, queues in replies.items()
    }
    return consumed == expected


def batch_shard_owners(*, shards: int, heartbeat: int) -> dict[int, list[str]]:
    """Shard -> live workers whose lease says they consume it ([] = nobody)."""
    owners: dict[int, list[str]] = {shard: [] for shard in range(shards)}
    live = BatchWorkerLease.objects.filter(seen_at__gte=lease_expiry(heartbeat=heartbeat))
    for lease in live.order_by("worker"):
        for shard in lease.shards:
            if shard in owners:
                owners[shard].append(lease.worker)
    return owners
