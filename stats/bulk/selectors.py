"""Reads of bulk runs: progress and time left, and the run monitoring reports."""

from dataclasses import dataclass

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


def bulk_run_progress(run: BulkRun) -> RunProgress:
    """Progress and the time left, from the chunks left and the rate limit.

    Progress is the work done (chunks done or failed): a cancelled run shows how far it
    got ("cancelled at 37%"), not 100% because nothing is left.
    """
    finished = run.chunks_done + run.chunks_failed
    percent = 100 if not run.chunks_total else round(100 * finished / run.chunks_total)
    eta = None
    if run.is_active:
        eta = round(run.chunks_left * seconds_per_task(run.rate_limit))
    return RunProgress(percent=percent, chunks_left=run.chunks_left, eta_seconds=eta)


def bulk_run_active() -> BulkRun | None:
    """The oldest run still queued or running (the one the queue is working through)."""
    return BulkRun.objects.filter(status__in=BulkRun.ACTIVE).order_by("created_at").first()
