"""Recording a task run: done or failed, and how long it took, for the five tasks that work.

What Flower shows per task, for the batch, the recompute on request (the button), the
stale sweep, the category refresh and the bulk chunk. Each run adds one to a row per
(task, minute, outcome, duration bucket) and to the same row of the running totals
(``stats.records.models``): two short UPDATEs, whatever the rate of batches. Monitoring
reads them through ``stats.records.selectors``.

Who records: the code that knows the outcome. Batches and bulk chunks catch their own
failures (a failed product stays stale, a failed chunk is retried), so their services
record the run (``task_run_record``); the recompute on request, the sweep and the
category refresh raise, so their tasks wrap the call in ``task_run_timed``. A chunk
skipped because its run was cancelled or it was already done is not a run. Recording
never fails a task: a lost figure is logged, the task's work stands.
"""

import bisect
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from stats.records.models import TaskFailure, TaskRunMinute, TaskRunTotal

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
