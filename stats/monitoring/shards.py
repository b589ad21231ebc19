"""The batch shards as ops see them: who consumes each shard queue, from leases and broker.

Only with ``STATS_BATCH_SHARDS`` > 1. A shard without a consumer is normal for the few
heartbeats a takeover takes (a worker stopped or died, another claims its shards), so the
check (``stats.monitoring.checks``) only calls it critical once it lasted longer.
"""

from datetime import datetime

from django.conf import settings

from config.queues import QUEUE_STATS_BATCH, batch_shard_queue_names
from stats.batch.selectors import (
    batch_lease_expiry,
    batch_shard_takeover_seconds,
    batch_worker_leases,
)
from stats.monitoring.snapshot import QueueFigures, ShardFigures


def batch_path_queues() -> list[str]:
    """The queues of the batched path: ``stats.batch`` and, with several shards, theirs."""
    return [QUEUE_STATS_BATCH, *batch_shard_queue_names()]


def takeover_seconds() -> float:
    """How long a shard may lack a consumer while it changes hands: the batch path's
    takeover, plus how far the management API's figures lag behind."""
    return batch_shard_takeover_seconds() + settings.RABBITMQ_STATS_LAG


def batch_shard_figures(queues: dict[str, QueueFigures], *, now: datetime) -> list[ShardFigures]:
    """Each shard with its live lease holders and its queue's figures."""
    names = batch_shard_queue_names()
    if not names:
        return []
    expiry = batch_lease_expiry(now=now)
    leases = batch_worker_leases()
    figures = []
    for shard, name in enumerate(names):
        queue = queues.get(name) or QueueFigures(name, "none")
        holders = [lease for lease in leases if shard in lease.shards]
        live = [lease for lease in holders if lease.seen_at >= expiry]
        # A live holder's claim counts from when it took the shard; a dead one's from
        # when it was last seen (its takeover starts then).
        since = [lease.changed_at if lease in live else lease.seen_at for lease in holders]
        figures.append(
            ShardFigures(
                shard=shard,
                queue=name,
                workers=[lease.worker for lease in live],
                consumers=queue.consumers,
                ready=queue.ready,
                unacked=queue.unacked,
                claimed_for=(now - max(since)).total_seconds() if since else None,
            )
        )
    return figures
