"""Reads of what the paths recorded: per task runs, durations and failures; failed batches.

Percentiles are estimated from the duration buckets the way Prometheus'
``histogram_quantile`` does (linear within the bucket), so the ops page and a Grafana
panel over ``catalog_task_duration_seconds`` agree. The figures are plain data, carried
as they are by the monitoring snapshot.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Sum

from stats.records.models import BatchFlush, TaskFailure, TaskRunMinute, TaskRunTotal
from stats.records.task_runs import DURATION_BUCKETS, TASKS


@dataclass
class TaskWindow:
    """One task over one window (the last hour or day)."""

    done: int = 0
    failed: int = 0
    p50_seconds: float | None = None
    p95_seconds: float | None = None


@dataclass
class TaskFigures:
    task: str
    hour: TaskWindow
    day: TaskWindow
    #: Since the start (Prometheus counters): runs per outcome, the duration sum and the
    #: runs per bucket (not cumulative; the last entry is the +Inf bucket).
    total_done: int = 0
    total_failed: int = 0
    total_seconds: float = 0.0
    total_buckets: list[int] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskFigures":
        return cls(
            **{
                **data,
                "hour": TaskWindow(**data["hour"]),
                "day": TaskWindow(**data["day"]),
            }
        )


@dataclass
class TaskFailureFigures:
    task: str
    failed_at: str
    worker: str
    error: str


def task_figures(*, now: datetime) -> list[TaskFigures]:
    """Every monitored task's figures: three grouped queries, whatever the volume."""
    windows = {
        "hour": _window_rows(now - timedelta(hours=1)),
        "day": _window_rows(now - timedelta(days=1)),
    }
    totals: dict[str, list[tuple[bool, int, int, int]]] = {}
    for task, failed, bucket, runs, ms in TaskRunTotal.objects.values_list(
        "task", "failed", "bucket", "runs", "duration_ms_sum"
    ):
        totals.setdefault(task, []).append((failed, bucket, runs, ms))
    figures = []
    for task in TASKS:
        buckets = [0] * (len(DURATION_BUCKETS) + 1)
        done = failed_runs = total_ms = 0
        for failed, bucket, runs, ms in totals.get(task, []):
            buckets[min(bucket, len(DURATION_BUCKETS))] += runs
            total_ms += ms
            if failed:
                failed_runs += runs
            else:
                done += runs
        figures.append(
            TaskFigures(
                task=task,
                hour=_window(windows["hour"].get(task, [])),
                day=_window(windows["day"].get(task, [])),
                total_done=done,
                total_failed=failed_runs,
                total_seconds=total_ms / 1000,
                total_buckets=buckets,
            )
        )
    return figures


def _window_rows(since: datetime) -> dict[str, list[tuple[bool, int, int]]]:
    rows: dict[str, list[tuple[bool, int, int]]] = {}
    for task, failed, bucket, runs in (
        TaskRunMinute.objects.filter(minute__gte=since)
        .values_list("task", "failed", "bucket")
        .annotate(total=Sum("runs"))
        .order_by()
    ):
        rows.setdefault(task, []).append((failed, bucket, runs))
    return rows


def _window(rows: list[tuple[bool, int, int]]) -> TaskWindow:
    buckets = [0] * (len(DURATION_BUCKETS) + 1)
    window = TaskWindow()
    for failed, bucket, runs in rows:
        buckets[min(bucket, len(DURATION_BUCKETS))] += runs
        if failed:
            window.failed += runs
        else:
            window.done += runs
    window.p50_seconds = bucket_quantile(0.5, buckets)
    window.p95_seconds = bucket_quantile(0.95, buckets)
    return window


def bucket_quantile(q: float, buckets: list[int]) -> float | None:
    """The q-quantile of runs counted per bucket, interpolated linearly inside its bucket.

    None without runs. A quantile in the open last bucket is reported as the highest
    bound (it is "at least that"), as Prometheus does.
    """
    total = sum(buckets)
    if not total:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(buckets):
        if count and seen + count >= rank:
            if index >= len(DURATION_BUCKETS):
                return float(DURATION_BUCKETS[-1])
            lower = DURATION_BUCKETS[index - 1] if index else 0.0
            upper = DURATION_BUCKETS[index]
            return lower + (upper - lower) * (rank - seen) / count
        seen += count
    return float(DURATION_BUCKETS[-1])


def task_failures_latest(*, limit: int = 10) -> list[TaskFailureFigures]:
    """The latest failures of any task, newest first."""
    return [
        TaskFailureFigures(
            task=row.task,
            failed_at=row.failed_at.isoformat(),
            worker=row.worker,
            error=row.error,
        )
        for row in TaskFailure.objects.order_by("-failed_at", "-id")[:limit]
    ]


@dataclass(frozen=True)
class BatchFailures:
    """Over a window, from the batches' own records: products whose recompute failed
    (they stay stale for the sweep) and malformed requests dropped."""

    failed_products: int
    rejected_requests: int


def batch_failures(*, since: datetime) -> BatchFailures:
    """What the batches flushed since ``since`` failed to do (one aggregate query)."""
    sums = BatchFlush.objects.filter(flushed_at__gte=since).aggregate(
        failed=Sum("failed"), rejected=Sum("rejected")
    )
    return BatchFailures(
        failed_products=sums["failed"] or 0, rejected_requests=sums["rejected"] or 0
    )
