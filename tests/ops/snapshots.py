"""A monitoring snapshot in which every figure /metrics can export has a value."""

import time

from django.utils import timezone

from config.queues import QUEUE_DEFAULT, QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from stats.monitoring.checks import freshness_check, monitoring_checks
from stats.monitoring.snapshot import BatchBuffer, QueueFigures, ShardFigures, Snapshot
from stats.records.selectors import TaskFigures, TaskWindow
from stats.records.task_runs import DURATION_BUCKETS, TASKS


def busy_snapshot() -> Snapshot:
    """Every gauge has something to measure, so no family is left out of a scrape.

    With ``STATS_BATCH_SHARDS`` > 1 and ``STATS_MONITOR_EXPECT_BULK_STANDBY`` set, every
    check exists as well.
    """
    queues = {
        name: QueueFigures(name, "management", ready=3, unacked=1, consumers=2, active_consumers=1)
        for name in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_DEFAULT)
    }
    buffer = BatchBuffer(
        "batch@host",
        "stats.product_stats_batch",
        5,
        time.time() - 10,
        time.time() - 99,
        300,
        100,
        buffered_since=time.time() - 5,
    )
    snapshot = Snapshot(
        taken_at=timezone.now(),
        broker_source="management",
        queues=queues,
        batch_buffers=[buffer],
        bulk_run={"id": 1, "percent": 40, "eta_seconds": 600},
        stale_products=2,
        oldest_stale_seconds=30.0,
        stale_categories=1,
        batch_failed_products=1,
        batch_rejected_requests=1,
        batch_shards=[ShardFigures(0, "stats.batch.shard.0", ["batch@host"], 1, 0, 0, 60.0)],
        tasks=[
            TaskFigures(
                task,
                TaskWindow(1, 1, 0.1, 0.2),
                TaskWindow(2, 1, 0.1, 0.2),
                2,
                1,
                0.3,
                [1] + [0] * len(DURATION_BUCKETS),
            )
            for task in TASKS
        ],
        source_lag={"broker": 5.0, "workers": 0.0, "database": 0.0},
    )
    snapshot.checks = [freshness_check(1.0, 30), *monitoring_checks(snapshot)]
    return snapshot
