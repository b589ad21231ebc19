"""The alerts, thresholds from settings. Unknown figures give "unknown", not "ok"."""

from django.conf import settings

from config.humanize import format_duration, quantity
from config.queues import (
    QUEUE_STATS_BATCH,
    QUEUE_STATS_BULK,
    QUEUE_STATS_NOW,
    batch_shard_queue_names,
)
from stats.monitoring.shards import batch_path_queues, takeover_seconds
from stats.monitoring.snapshot import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    BatchBuffer,
    Check,
    QueueFigures,
    ShardFigures,
    Snapshot,
)

#: The name of the check on the snapshot's own age: judged when a snapshot is read, the
#: others when it is taken.
FRESHNESS = "monitoring"


def monitoring_checks(snapshot: Snapshot) -> list[Check]:
    """Every check of a snapshot, in the order the faces list them."""
    checks = [*_bulk_checks(snapshot.queues.get(QUEUE_STATS_BULK))]
    checks += _batch_checks(
        snapshot.queues.get(QUEUE_STATS_BATCH),
        snapshot.batch_buffers,
        now_queue=snapshot.queues.get(QUEUE_STATS_NOW),
    )
    if batch_shard_queue_names():
        checks.append(batch_shards_check(snapshot.batch_shards))
    for name, limit in (
        (QUEUE_STATS_BATCH, settings.STATS_MONITOR_BATCH_QUEUE_MAX),
        (QUEUE_STATS_BULK, settings.STATS_MONITOR_BULK_QUEUE_MAX),
    ):
        queue = batch_path(snapshot) if name == QUEUE_STATS_BATCH else snapshot.queues.get(name)
        if queue is None or queue.ready is None:
            checks.append(Check(f"{name} depth", UNKNOWN, "ready count unknown"))
        elif queue.ready > limit:
            checks.append(Check(f"{name} depth", WARNING, f"{queue.ready} ready > {limit}"))
        else:
            checks.append(Check(f"{name} depth", OK, f"{queue.ready} ready (max {limit})"))
    checks.append(_stale_check(snapshot.oldest_stale_seconds, snapshot.stale_products))
    checks.append(_batch_failures_check(snapshot))
    return checks


def batch_path(snapshot: Snapshot) -> QueueFigures | None:
    """``stats.batch`` and the shard queues as one: the batched path's depth and buffer.

    None if ``stats.batch`` itself is unknown; a shard queue not declared yet holds nothing.
    """
    main = snapshot.queues.get(QUEUE_STATS_BATCH)
    if main is None or main.ready is None:
        return main
    parts = [q for name in batch_path_queues() if (q := snapshot.queues.get(name)) is not None]
    unacked = [q.unacked for q in parts]
    return QueueFigures(
        QUEUE_STATS_BATCH,
        main.source,
        ready=sum(q.ready or 0 for q in parts),
        unacked=None if main.unacked is None else sum(n or 0 for n in unacked),
        consumers=main.consumers,
        active_consumers=main.active_consumers,
    )


def batch_shards_check(shards: list[ShardFigures]) -> Check:
    """Every shard queue consumed; one without a consumer only alarms after a takeover's time."""
    name = "batch shards"
    if not shards or any(s.consumers is None for s in shards):
        return Check(name, UNKNOWN, "shard queues' consumer counts unknown")
    limit = takeover_seconds()
    orphans = [s for s in shards if s.consumers == 0]
    lost = [s for s in orphans if s.claimed_for is None or s.claimed_for > limit]
    if lost:
        return Check(
            name,
            CRITICAL,
            f"no consumer on {', '.join(s.queue for s in lost)} for over {format_duration(limit)}: "
            "their saves wait for the sweep (is a batch worker stuck, or none left?)",
        )
    workers = {w for s in shards for w in s.workers}
    message = f"{quantity(len(shards), 'shard')} over {quantity(len(workers), 'worker')}"
    if orphans:
        message += f"; {', '.join(s.queue for s in orphans)} changing hands"
    return Check(name, OK, message)


def _batch_failures_check(snapshot: Snapshot) -> Check:
    """Failed products and dropped messages of the last hour: the workers carry on, so
    only their records can tell (the sweep retries failed products; see the worker log)."""
    failed, rejected = snapshot.batch_failed_products, snapshot.batch_rejected_requests
    if not failed and not rejected:
        return Check("batch failures", OK, "no failed product or malformed request in 1 h")
    return Check(
        "batch failures",
        WARNING,
        f"last hour: {quantity(failed, 'product recompute')} failed, "
        f"{quantity(rejected, 'malformed request')} dropped (worker log has the errors)",
    )


def _bulk_checks(queue: QueueFigures | None) -> list[Check]:
    name = "bulk worker"
    if queue is None or queue.consumers is None:
        return [Check(name, UNKNOWN, "consumer count unknown")]
    if queue.consumers == 0:
        return [Check(name, CRITICAL, "no consumer on the bulk queue: bulk runs are stalled")]
    if queue.active_consumers is not None and queue.active_consumers > 1:
        return [
            Check(
                name,
                CRITICAL,
                f"{queue.active_consumers} active consumers: the rate limit is doubled "
                "(queue without x-single-active-consumer?)",
            )
        ]
    if queue.consumers > 1 and queue.active_consumers is None:
        return [
            Check(
                name,
                UNKNOWN,
                f"{queue.consumers} consumers; whether only one is active (rate limit not "
                "doubled) is known only to the management API",
            )
        ]
    checks = [Check(name, OK, f"{quantity(queue.consumers, 'consumer')}, one active")]
    if settings.STATS_MONITOR_EXPECT_BULK_STANDBY and queue.consumers < 2:
        checks.append(Check("bulk standby", WARNING, "no standby bulk worker attached"))
    elif queue.consumers >= 2:
        checks.append(Check("bulk standby", OK, f"{queue.consumers - 1} standby"))
    return checks


def _batch_checks(
    queue: QueueFigures | None,
    buffers: list[BatchBuffer] | None,
    *,
    now_queue: QueueFigures | None = None,
) -> list[Check]:
    checks = []
    if queue is None or queue.consumers is None:
        checks.append(Check("batch worker", UNKNOWN, "consumer count unknown"))
    elif queue.consumers == 0:
        checks.append(Check("batch worker", CRITICAL, "no consumer on the batch queue"))
    elif now_queue is not None and now_queue.consumers == 0:
        # Saves are recomputed, but the "Recompute statistics" button waits for the sweep.
        checks.append(
            Check(
                "batch worker",
                WARNING,
                f"no consumer on {QUEUE_STATS_NOW}: add it to the batch worker's -Q "
                "(the Recompute statistics button waits for the sweep)",
            )
        )
    else:
        checks.append(Check("batch worker", OK, quantity(queue.consumers, "consumer")))
    if buffers is None:
        checks.append(Check("batch flush", UNKNOWN, "workers did not answer"))
        return checks
    stuck = [b for b in buffers if b.buffered and (b.oldest_wait or 0) > 2 * b.flush_interval]
    for buffer in stuck:
        checks.append(
            Check(
                "batch flush",
                CRITICAL,
                f"{buffer.worker} holds {quantity(buffer.buffered, 'request')}, the oldest "
                "unflushed for "
                f"{format_duration(buffer.oldest_wait)} "
                f"(> 2 x {format_duration(buffer.flush_interval)}): "
                "stuck flush timer?",
            )
        )
    if not stuck:
        total = sum(b.buffered for b in buffers)
        checks.append(
            Check("batch flush", OK, f"{total} buffered in {quantity(len(buffers), 'worker')}")
        )
    return checks


def _stale_check(oldest: float | None, count: int) -> Check:
    if oldest is None:
        return Check("stale statistics", OK, "no stale product")
    message = f"{quantity(count, 'stale product')}, oldest {format_duration(oldest)}"
    if oldest > settings.STATS_MONITOR_STALE_CRITICAL:
        return Check("stale statistics", CRITICAL, message)
    if oldest > settings.STATS_MONITOR_STALE_WARNING:
        return Check("stale statistics", WARNING, message)
    return Check("stale statistics", OK, message)


def freshness_check(age: float | None, max_age: float) -> Check:
    """Monitoring itself: a snapshot older than a few sample intervals says nothing current."""
    if age is None:
        return Check(FRESHNESS, CRITICAL, "no snapshot yet: the sampler runs in the beat process")
    if age > max_age:
        return Check(
            FRESHNESS,
            CRITICAL,
            f"latest snapshot is {format_duration(age)} old (> {format_duration(max_age)}): "
            "is beat running?",
        )
    return Check(FRESHNESS, OK, f"snapshot {format_duration(age)} old")
