"""The job centre's registry: each app says what its background jobs are, in one shape.

Why here, in ``config``: imports, exports and bulk edits live in ``catalog``, bulk
recompute runs in ``stats``, and ``stats`` depends on ``catalog`` but never the other
way. A registry in
either app would make the other reach into it; ``config`` is the project's shared layer
every app already uses (``config.admin``, ``config.outbox``), and it knows no app. So
each app owns its jobs, their models and the meaning of their statuses, and registers a
**job source** in its ``AppConfig.ready()``::

    register_job_source("imports", import_jobs, in_progress=imports_in_progress)

A source is a function of a ``JobQuery`` (who asks, whether they see everyone's jobs,
how many rows at most) returning ``JobRow``s, newest first: its latest ``limit`` jobs
only, never a whole table. Each row says its status in the common vocabulary
(``JobStatus``), mapped from its model's statuses by the owning app, and the links the
page offers (the job's page, its result, Stop, the error report, Undo), each only where
the asker may follow it. The page (``editors.job_centre``) merges the sources
(``jobs_listed``) and shows one list; Stop posts to the owning app's own stop action.
``in_progress`` (optional) gives a user's jobs of that kind still queued or running, as
a queryset: every page's header counts them all in one query (``jobs_in_progress``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models
from django.db.models import QuerySet


class JobStatus(models.TextChoices):
    """Every kind of job says where it is in these words (the page's Status column)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    #: Ended before it changed anything.
    CANCELLED = "cancelled", "Cancelled"
    #: Ended part-way on request: what it did stays done (and may be undone).
    STOPPED = "stopped", "Stopped"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True)
class JobQuery:
    """What a source is asked: whose jobs (``everyone`` or the user's own) and how many."""

    user: AbstractUser | AnonymousUser
    everyone: bool
    limit: int


@dataclass(frozen=True)
class JobRow:
    """One job as the job centre lists it. Empty links are not offered."""

    #: The kind in words ("Import", "Bulk edit"): the page's Kind column.
    kind: str
    id: int
    #: Whose job it is (a username), or who started it ("nightly schedule").
    who: str
    #: What it does, in words ("Import of spring.csv", "price +10% on 240 products").
    what: str
    status: JobStatus
    done: int
    total: int
    #: Counted in these ("product", "group"): "40 of 120 products".
    unit: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: Seconds left while it runs (``eta_seconds`` or the kind's own estimate); None: unknown.
    eta: float | None = None
    #: A word beside the status where the vocabulary says too little ("waiting for Confirm").
    note: str = ""
    #: The job's own page.
    url: str = ""
    #: What it made (an export's file), where it is not the job's page.
    result_url: str = ""
    #: Stop: the kind's own POST action.
    stop_url: str = ""
    #: A downloadable report of the problems it found.
    report_url: str = ""
    #: Undo: the kind's own page that asks first.
    undo_url: str = ""

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def percent(self) -> int:
        return min(100, 100 * self.done // self.total) if self.total else 0


JobSource = Callable[[JobQuery], list[JobRow]]
#: A user's own jobs still in progress, as a queryset (its primary keys are read): the
#: header's "Jobs (2 in progress)" counts every kind's in one query.
InProgress = Callable[[AbstractUser | AnonymousUser], "QuerySet[Any]"]

_sources: dict[str, JobSource] = {}
_in_progress: dict[str, InProgress] = {}


def register_job_source(
    name: str, source: JobSource, *, in_progress: InProgress | None = None
) -> None:
    """Add (or replace: ``ready()`` may run twice in tests) the source named ``name``."""
    _sources[name] = source
    if in_progress is not None:
        _in_progress[name] = in_progress


def jobs_in_progress(user: AbstractUser | AnonymousUser) -> int:
    """How many of ``user``'s jobs are still in progress, every kind together: one
    ``COUNT`` over a ``UNION ALL`` of each kind's (indexed on status), for every page's
    header."""
    if not user.is_authenticated or not _in_progress:
        return 0
    first, *rest = [
        in_progress(user).order_by().values_list("pk") for in_progress in _in_progress.values()
    ]
    return first.union(*rest, all=True).count() if rest else first.count()


def job_sources() -> dict[str, JobSource]:
    return dict(_sources)


def jobs_listed(query: JobQuery) -> list[JobRow]:
    """Every source's latest ``query.limit`` jobs merged, newest first, at most ``limit``.

    Each source returns its own latest rows, so the newest ``limit`` of all of them are
    among those: a page deeper in the list asks each source for more (bounded by the page).
    """
    rows = [row for source in _sources.values() for row in source(query)]
    rows.sort(key=lambda row: (row.created_at, row.id), reverse=True)
    return rows[: query.limit]


def eta_seconds(
    *, done: int, total: int, started_at: datetime | None, now: datetime
) -> float | None:
    """Seconds left at the rate so far (``done`` since ``started_at``); None while unknown.

    Unknown before the first item is done (no rate yet) or with no total; 0 once all are.
    """
    if total <= 0 or started_at is None:
        return None
    if done >= total:
        return 0.0
    if done <= 0:
        return None
    elapsed = max(0.0, (now - started_at).total_seconds())
    return elapsed / done * (total - done)
