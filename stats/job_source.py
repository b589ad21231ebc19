"""Bulk recompute runs for the job centre (``config.jobs``), registered in ``StatsConfig.ready()``.

An edge, like the admin (it words a run and links its admin pages), so it sits at the
top of the stats layers, beside ``formatting``, not inside the bulk path.

A run's time left is its own estimate (``stats.bulk.selectors.bulk_run_progress``: the
rate limit paces it, not the work done so far), and Stop is Statistics > Bulk recompute
runs' Cancel action, offered as that page offers it (``stats.cancel_bulkrun``, or one's
own run). A run started by the schedule or the command line has no owner: only whoever
sees everyone's jobs sees it.
"""

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db.models import QuerySet
from django.urls import reverse

from config.jobs import JobQuery, JobRow, JobStatus
from stats.bulk.models import BulkRun
from stats.bulk.selectors import bulk_run_progress
from stats.formatting import format_scope

Status = BulkRun.Status


def bulk_run_status(run: BulkRun) -> JobStatus:
    """A run in the common words: "done with failures" is failed; one cancelled after some
    groups were recomputed stopped (those stay recomputed)."""
    if run.status == Status.CANCELLED:
        return JobStatus.STOPPED if run.chunks_done + run.chunks_failed else JobStatus.CANCELLED
    return JobStatus(str(run.status))


def bulk_runs_in_progress(user: AbstractUser | AnonymousUser) -> QuerySet[BulkRun]:
    """The user's own runs queued or running (for the count beside the Jobs link)."""
    return BulkRun.objects.filter(started_by_id=user.pk, status__in=BulkRun.ACTIVE)


def _who(run: BulkRun) -> str:
    if run.started_by is not None:
        return run.started_by.get_username()
    return run.get_trigger_display()


def bulk_run_jobs(query: JobQuery) -> list[JobRow]:
    """The latest runs: the asker's own, or everyone's (the schedule's and ops' included)."""
    user = query.user
    if not user.is_authenticated:
        return []
    runs = BulkRun.objects.all()
    if not query.everyone:
        runs = runs.filter(started_by_id=user.pk)
    may_view = user.has_perm("stats.view_bulkrun") or user.has_perm("stats.change_bulkrun")
    cancel_any = user.has_perm("stats.cancel_bulkrun")
    cancel_own = user.has_perm("stats.add_bulkrun")
    rows = []
    latest = runs.select_related("started_by").prefetch_related("categories")
    for run in latest.order_by("-created_at", "-id")[: query.limit]:
        own = run.started_by_id is not None and run.started_by_id == user.pk
        stoppable = run.is_active and (cancel_any or (cancel_own and own))
        status = bulk_run_status(run)
        page = reverse("admin:stats_bulkrun_change", args=[run.pk])
        rows.append(
            JobRow(
                kind="Statistics recompute",
                id=run.pk,
                who=_who(run),
                what=f"Bulk run {run.pk}: {format_scope(run)}",
                status=status,
                done=run.products_done + run.products_failed,
                total=run.products_total,
                unit="product",
                created_at=run.created_at,
                started_at=run.started_at,
                finished_at=run.finished_at,
                eta=bulk_run_progress(run).eta_seconds if run.is_active else None,
                note=f"{run.products_failed:,} failed" if run.products_failed else "",
                url=page if may_view else "",
                stop_url=reverse("admin:stats_bulkrun_cancel", args=[run.pk]) if stoppable else "",
            )
        )
    return rows
