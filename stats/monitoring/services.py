"""A snapshot from the database's figures and the broker's and workers', and the chart's samples.

Celery-free: the broker and worker figures are passed in by ``stats.monitoring.probes``.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone

from stats.bulk.services import bulk_run_progress
from stats.models import (
    BatchFlush,
    BulkRun,
    CategoryStaleness,
    LatestSnapshot,
    ProductStaleness,
    QueueSample,
)
from stats.monitoring.checks import freshness_check, monitoring_checks
from stats.monitoring.shards import batch_shard_figures
from stats.monitoring.snapshot import BatchBuffer, QueueFigures, Snapshot
from stats.monitoring.task_runs import task_failures_latest, task_figures, task_runs_prune


def monitoring_snapshot(
    *,
    queues: dict[str, QueueFigures],
    broker_source: str,
    batch_buffers: list[BatchBuffer] | None,
    broker_lag: float = 0.0,
) -> Snapshot:
    """Gather the database's figures around the broker's and workers', and judge them.

    ``broker_lag``: how old the broker's figures already are (the management API's
    refresh interval; 0 for a live passive declare).
    """
    now = timezone.now()
    oldest = ProductStaleness.objects.aggregate(oldest=Min("stale_since"))["oldest"]
    run = BulkRun.objects.filter(status__in=BulkRun.ACTIVE).order_by("created_at").first()
    batches = BatchFlush.objects.filter(flushed_at__gte=now - timedelta(hours=1)).aggregate(
        failed=Sum("failed"), rejected=Sum("rejected")
    )
    snapshot = Snapshot(
        taken_at=now,
        broker_source=broker_source,
        queues=queues,
        batch_buffers=batch_buffers,
        bulk_run=_bulk_run_figures(run) if run else None,
        stale_products=ProductStaleness.objects.count(),
        oldest_stale_seconds=(now - oldest).total_seconds() if oldest else None,
        stale_categories=CategoryStaleness.objects.count(),
        batch_failed_products=batches["failed"] or 0,
        batch_rejected_requests=batches["rejected"] or 0,
        batch_shards=batch_shard_figures(queues, now=now),
        tasks=task_figures(now=now),
        task_failures=task_failures_latest(),
        source_lag={"broker": broker_lag, "workers": 0.0, "database": 0.0},
    )
    snapshot.checks = monitoring_checks(snapshot)
    return snapshot


def _bulk_run_figures(run: BulkRun) -> dict[str, Any]:
    progress = bulk_run_progress(run)
    return {
        "id": run.pk,
        "status": run.status,
        "scope": run.get_scope_display(),
        "percent": progress.percent,
        "chunks_total": run.chunks_total,
        "chunks_done": run.chunks_done,
        "chunks_failed": run.chunks_failed,
        "products_done": run.products_done,
        "products_total": run.products_total,
        "eta_seconds": progress.eta_seconds,
    }


def monitoring_samples_record(snapshot: Snapshot) -> int:
    """Store one row per queue (beat runs this every minute) and prune old rows."""
    QueueSample.objects.bulk_create(
        [
            QueueSample(
                taken_at=snapshot.taken_at,
                queue=queue.name,
                ready=queue.ready,
                unacked=queue.unacked,
                consumers=queue.consumers,
                stale_products=snapshot.stale_products,
            )
            for queue in snapshot.queues.values()
        ]
    )
    cutoff = snapshot.taken_at - timedelta(hours=settings.STATS_MONITOR_SAMPLE_RETENTION_HOURS)
    QueueSample.objects.filter(taken_at__lt=cutoff).delete()
    task_runs_prune(now=snapshot.taken_at)
    return len(snapshot.queues)


def monitoring_samples_series(*, since: datetime) -> dict[str, list[tuple[datetime, int | None]]]:
    """Per queue: (time, ready) since ``since``; plus "stale products" once."""
    series: dict[str, list[tuple[datetime, int | None]]] = {}
    stale: dict[datetime, int] = {}
    for taken_at, queue, ready, stale_count in QueueSample.objects.filter(
        taken_at__gte=since
    ).values_list("taken_at", "queue", "ready", "stale_products"):
        series.setdefault(queue, []).append((taken_at, ready))
        stale[taken_at] = stale_count
    series["stale products"] = sorted(stale.items())
    return series


# --- The stored snapshot every face reads ---------------------------------------------------


def monitoring_snapshot_store(snapshot: Snapshot) -> None:
    """Keep ``snapshot`` as the latest (one row, overwritten by every sample)."""
    LatestSnapshot.objects.update_or_create(
        pk=1, defaults={"taken_at": snapshot.taken_at, "data": snapshot.as_dict()}
    )


def monitoring_snapshot_latest() -> Snapshot:
    """The latest stored snapshot, judged now, with its age as the "monitoring" check.

    One indexed read, no broker, no worker: this is what the HTTP faces and the ops page
    show. Without any snapshot yet, an empty one whose only check is critical.
    """
    row = LatestSnapshot.objects.filter(pk=1).first()
    now = timezone.now()
    if row is None:
        snapshot = Snapshot(
            taken_at=now,
            broker_source="none",
            queues={},
            batch_buffers=None,
            bulk_run=None,
            stale_products=0,
            oldest_stale_seconds=None,
            stale_categories=0,
        )
        snapshot.checks = [freshness_check(None, settings.STATS_MONITOR_SNAPSHOT_MAX_AGE)]
        return snapshot
    snapshot = Snapshot.from_dict(row.data)
    age = max(0.0, (now - row.taken_at).total_seconds())
    snapshot.checks = [
        freshness_check(age, settings.STATS_MONITOR_SNAPSHOT_MAX_AGE),
        *monitoring_checks(snapshot),
    ]
    return snapshot
