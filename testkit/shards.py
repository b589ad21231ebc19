"""Publishing as a STATS_BATCH_SHARDS deployment from a test or benchmark process.

The settings are read once when ``config.celery`` is imported, so a process started with
one shard declares no shard queue: publishing to one would create it without its single
active consumer argument, which the workers' declaration then refuses.
"""

import contextlib
from collections.abc import Iterator

from django.test.utils import override_settings

from config.celery import app, batch_shard_queues
from stats.batch.leases import shards_for
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
    """The lease table holds each of ``workers``' share of ``shards``, and only theirs."""
    owners = {lease.worker: sorted(lease.shards) for lease in BatchWorkerLease.objects.all()}
    return owners == {
        name: shards_for(worker=name, live=workers, shards=shards) for name in workers
    }
