"""Which batch worker consumes which shard queue: leases in the database, a plain rule.

With ``STATS_BATCH_SHARDS`` = N > 1, a product's save requests go to shard queue
``product_id % N`` (``stats.batch.tasks.batch_queue_for``). Every batch worker renews
its ``BatchWorkerLease`` each heartbeat and consumes the shards its rank among the live
workers gives it, so every shard has one worker and a product's saves meet in one
buffer. ``stats.batch.shards`` is the Celery side (a consumer step); nothing here
imports Celery.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from stats.batch.models import BatchWorkerLease

#: A lease not renewed for this many heartbeats belongs to a dead worker.
LEASE_HEARTBEATS = 3


def shards_for(*, worker: str, live: Iterable[str], shards: int) -> list[int]:
    """The shards ``worker`` consumes among ``live`` workers (itself included either way).

    Live names sorted, ``worker`` has rank r of n: it takes every shard k with
    k % n == r. Every worker computes the same table from the same rows, so each shard
    has exactly one owner once their heartbeats have seen the same rows; until then
    RabbitMQ's single active consumer still lets only one of two claimants receive.
    """
    names = sorted(set(live) | {worker})
    rank, count = names.index(worker), len(names)
    return [shard for shard in range(shards) if shard % count == rank]


def lease_expiry(*, heartbeat: int, now: datetime | None = None) -> datetime:
    """Leases last seen before this are expired."""
    return (now or timezone.now()) - timedelta(seconds=LEASE_HEARTBEATS * heartbeat)


def batch_lease_renew(*, worker: str, shards: int, heartbeat: int) -> list[int]:
    """Renew ``worker``'s lease and return the shards it must consume from now on.

    The row records the new shards before the worker switches to them: the ops view
    may be one heartbeat ahead of the broker, never behind a dead worker.
    """
    now = timezone.now()
    expiry = lease_expiry(heartbeat=heartbeat, now=now)
    BatchWorkerLease.objects.filter(seen_at__lt=expiry).delete()  # killed workers' leases
    live = BatchWorkerLease.objects.filter(seen_at__gte=expiry)
    mine = shards_for(
        worker=worker,
        live=live.exclude(worker=worker).values_list("worker", flat=True),
        shards=shards,
    )
    lease = BatchWorkerLease.objects.filter(worker=worker).first()
    if lease is None:
        BatchWorkerLease.objects.create(worker=worker, seen_at=now, shards=mine, changed_at=now)
    elif lease.shards != mine:
        lease.seen_at, lease.shards, lease.changed_at = now, mine, now
        lease.save(update_fields=["seen_at", "shards", "changed_at"])
    else:
        lease.seen_at = now
        lease.save(update_fields=["seen_at"])
    return mine


def batch_lease_release(*, worker: str) -> None:
    """A worker stopping on purpose: the others take its shards at their next heartbeat."""
    BatchWorkerLease.objects.filter(worker=worker).delete()
