"""Per task: runs done and failed, duration p50/p95 over the last hour and day, last failures.

What Flower shows per task, for the five tasks that do the work: the batch, the recompute
on request (the button), the stale sweep, the category refresh and the bulk chunk. Each
run adds one to a row per (task, minute, outcome, duration bucket) and to the same row of
the running totals (``stats.monitoring.models``): two short UPDATEs, whatever the rate of
batches.

Who records: the code that knows the outcome. Batches and bulk chunks catch their own
failures (a failed product stays stale, a failed chunk is retried), so their services
record the run (``task_run_record``); the recompute on request, the sweep and the
category refresh raise, so their tasks wrap the call in ``task_run_timed``. A chunk
skipped because its run was cancelled or it was already done is not a run. Recording
never fails a task: a lost figure is logged, the task's work stands.

Percentiles are estimated from the duration buckets the way Prometheus'
``histogram_quantile`` does (linear within the bucket), so the page and a Grafana
panel over ``catalog_task_duration_seconds`` agree.
"""

import bisect
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Model, Sum
from django.utils import timezone

from stats.monitoring.models import TaskFailure, TaskRunMinute, TaskRunTotal
from stats.monitoring.snapshot import TaskFailureFigures, TaskFigures, TaskWindow

logger = logging.getLogger(__name__)

BATCH, SWEEP, CATEGORY_REFRESH, BULK_CHUNK = "batch", "sweep", "category_refresh", "bulk_chunk"
NOW = "recompute_now"
#: The tasks monitored, in the order every face lists them.
TASKS = (BATCH, NOW, SWEEP, CATEGORY_REFRESH, BULK_CHUNK)
#: Upper bounds of the duration buckets, in seconds; a last bucket holds anything longer.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
#: Minute rows kept: the day window plus a margin.
MINUTES_KEPT = timedelta(hours=26)
#: Failures kept per task.
FAILURES_KEPT = 20
ERROR_MAX_CHARS = 1000


def bucket_of(seconds: float) -> int:
    """Index of the first bucket whose upper bound holds ``seconds``."""
    return bisect.bisect_left(DURATION_BUCKETS, seconds)


def task_run_record(*, task: str, seconds: float, error: str = "", worker: str = "") -> None:
    """Count one finished run of ``task``; an ``error`` makes it a failed run."""
    try:
        _record(task=task, seconds=max(0.0, seconds), error=error, worker=worker)
    except Exception:
        logger.warning("Figures of one %s run lost (its work is not).", task, exc_info=True)


@contextmanager
def task_run_timed(task: str, *, worker: str = "") -> Iterator[None]:
    """Time the block as one run of ``task``: failed if it raises (and it still raises)."""
    started = time.monotonic()
    try:
        yield
    except Exception as exc:
        task_run_record(
            task=task,
            seconds=time.monotonic() - started,
            error=f"{type(exc).__name__}: {exc}",
            worker=worker,
        )
        raise
    task_run_record(task=task, seconds=time.monotonic() - started, worker=worker)


def _record(*, task: str, seconds: float, error: str, worker: str) -> None:
    now = timezone.now()
    key = {"task": task, "failed": bool(error), "bucket": bucket_of(seconds)}
    duration_ms = round(seconds * 1000)
    _add(TaskRunMinute, {**key, "minute": now.replace(second=0, microsecond=0)}, duration_ms)
    _add(TaskRunTotal, key, duration_ms)
    if error:
        TaskFailure.objects.create(
            task=task, failed_at=now, worker=worker[:255], error=error[:ERROR_MAX_CHARS]
        )
        older = list(
            TaskFailure.objects.filter(task=task)
            .order_by("-failed_at", "-id")
            .values_list("pk", flat=True)[FAILURES_KEPT : FAILURES_KEPT + 100]
        )
        if older:
            TaskFailure.objects.filter(pk__in=older).delete()


def _add(model: type[Model], key: dict[str, Any], duration_ms: int) -> None:
    """One more run in the row ``key``: an UPDATE, or the row's INSERT the first time."""
    increment = {"runs": F("runs") + 1, "duration_ms_sum": F("duration_ms_sum") + duration_ms}
    if model._default_manager.filter(**key).update(**increment):
        return
    try:
        with transaction.atomic():
            model._default_manager.create(**key, runs=1, duration_ms_sum=duration_ms)
    except IntegrityError:  # another worker inserted it first
        model._default_manager.filter(**key).update(**increment)


def task_runs_prune(*, now: datetime) -> int:
    """Drop minute rows older than the day window needs."""
    deleted, _ = TaskRunMinute.objects.filter(minute__lt=now - MINUTES_KEPT).delete()
    return deleted


# --- What the snapshot carries ----------------------------------------------------------------


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
