"""The one snapshot builder, the chart's samples, and the stored snapshot every face reads.

Celery-free: the broker and worker figures are passed in by ``stats.monitoring.probes``.
Reads only: what the paths did comes through their selectors (``stats.records``,
``stats.recompute``, ``stats.bulk``, ``stats.batch``); monitoring writes its own tables
and prunes the old minute rows of the task runs it sums up.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from stats.bulk.models import BulkRun
from stats.bulk.selectors import bulk_run_active, bulk_run_progress
from stats.monitoring.checks import FRESHNESS, freshness_check, monitoring_checks
from stats.monitoring.models import LatestSnapshot, QueueSample
from stats.monitoring.presence import Presence
from stats.monitoring.shards import batch_shard_figures
from stats.monitoring.snapshot import BatchBuffer, QueueFigures, Snapshot
from stats.recompute.selectors import staleness_figures
from stats.records.selectors import batch_failures, task_failures_latest, task_figures
from stats.records.task_runs import task_runs_prune


def monitoring_snapshot(
    *,
    queues: dict[str, QueueFigures],
    broker_source: str,
    batch_buffers: list[BatchBuffer] | None,
    broker_lag: float = 0.0,
    presence: Presence | None = None,
) -> Snapshot:
    """Gather the database's figures around the broker's and workers', and judge them once.

    ``broker_lag``: how old the broker's figures already are (the management API's
    refresh interval; 0 for a live passive declare). ``presence``: the sampler's memory
    of the last samples, which fills in what a worker failed to report before the checks
    judge it.
    """
    now = timezone.now()
    run = bulk_run_active()
    stale = staleness_figures(now=now)
    failures = batch_failures(since=now - timedelta(hours=1))
    snapshot = Snapshot(
        taken_at=now,
        broker_source=broker_source,
        queues=queues,
        batch_buffers=batch_buffers,
        bulk_run=_bulk_run_figures(run) if run else None,
        stale_products=stale.products,
        oldest_stale_seconds=stale.oldest_seconds,
        stale_categories=stale.categories,
        batch_failed_products=failures.failed_products,
        batch_rejected_requests=failures.rejected_requests,
        batch_shards=batch_shard_figures(queues, now=now),
        tasks=task_figures(now=now),
        task_failures=task_failures_latest(),
        source_lag={"broker": broker_lag, "workers": 0.0, "database": 0.0},
    )
    if presence is not None:
        presence.smooth(snapshot, max_misses=settings.STATS_MONITOR_MISSES)
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
    """The latest stored snapshot, as the sampler judged it, with its age as the
    "monitoring" check.

    One indexed read, no broker, no worker: this is what the HTTP faces and the ops page
    show. Without any snapshot yet, an empty one whose only check is critical.
    """
    row = LatestSnapshot.objects.filter(pk=1).first()
    if row is None:
        snapshot = Snapshot(taken_at=timezone.now(), broker_source="none")
        snapshot.checks = [freshness_check(None, settings.STATS_MONITOR_SNAPSHOT_MAX_AGE)]
        return snapshot
    snapshot = Snapshot.from_dict(row.data)
    age = max(0.0, (timezone.now() - row.taken_at).total_seconds())
    snapshot.checks = [
        freshness_check(age, settings.STATS_MONITOR_SNAPSHOT_MAX_AGE),
        *(check for check in snapshot.checks if check.name != FRESHNESS),
    ]
    return snapshot
