"""Reads of the batch workers' shard leases, for monitoring: who holds which shard, since when."""

from datetime import datetime

from django.conf import settings

from stats.batch.leases import LEASE_HEARTBEATS, lease_expiry
from stats.batch.models import BatchWorkerLease


def batch_worker_leases() -> list[BatchWorkerLease]:
    """Every lease row, live or expired, by worker name."""
    return list(BatchWorkerLease.objects.order_by("worker"))


def batch_lease_expiry(*, now: datetime) -> datetime:
    """Leases last seen before this belong to dead workers."""
    return lease_expiry(heartbeat=settings.STATS_BATCH_SHARD_HEARTBEAT, now=now)


def batch_shard_takeover_seconds() -> float:
    """How long a shard may change hands: a dead worker's lease expires after
    ``LEASE_HEARTBEATS`` heartbeats and the others claim its shards at their next one
    (one heartbeat more of margin)."""
    return (LEASE_HEARTBEATS + 2) * settings.STATS_BATCH_SHARD_HEARTBEAT
