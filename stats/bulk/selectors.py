"""Reads of bulk runs: progress and time left, and the run monitoring reports."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from stats.bulk.models import BulkRun

_PERIODS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class RunProgress:
    percent: int
    chunks_left: int
    eta_seconds: int | None


def seconds_per_task(rate_limit: str) -> float:
    """Seconds between two tasks at a Celery rate limit such as ``30/h`` (0: no limit)."""
    if not rate_limit:
        return 0.0
    count, _, period = rate_limit.partition("/")
    return _PERIODS.get(period or "s", 1) / float(count)


def bulk_run_progress(run: BulkRun, *, now: datetime | None = None) -> RunProgress:
    """Progress and the time left.

    Progress is the work done (chunks done or failed): a cancelled run shows how far it
    got ("cancelled at 37%"), not 100% because nothing is left.

    The time left counts down between chunks. The first chunk of an idle queue starts at
    once (the rate limit spends a full token on it), each next one a token interval after
    the one before: the run's pace is that interval, or the measured time per chunk where
    the work is slower. The next chunk is due one pace after the last one started, and
    each chunk after it one pace later. A run queued behind another starts later than
    this says.
    """
    finished = run.chunks_done + run.chunks_failed
    percent = 100 if not run.chunks_total else round(100 * finished / run.chunks_total)
    eta = None
    left = run.chunks_left
    if run.is_active and left > 0:
        now = now or timezone.now()
        pace = seconds_per_task(run.rate_limit)
        next_due = 0.0  # not started: its first chunk starts once the queue reaches it
        if run.started_at is not None:
            elapsed = max(0.0, (now - run.started_at).total_seconds())
            if finished:
                pace = max(pace, elapsed / finished)
            next_due = max(0.0, finished * pace - elapsed)
        eta = round(next_due + (left - 1) * pace)
    elif run.is_active:
        eta = 0
    return RunProgress(percent=percent, chunks_left=left, eta_seconds=eta)


def bulk_run_active() -> BulkRun | None:
    """The oldest run still queued or running (the one the queue is working through)."""
    return BulkRun.objects.filter(status__in=BulkRun.ACTIVE).order_by("created_at").first()
