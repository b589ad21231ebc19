"""Editors > Jobs: imports, bulk edits, statistics recomputes (every kind an app registers
through ``config.jobs``) in one list, newest first, a page at a time.

Why in ``editors``: the page is about the people's work, like Editor activity, and its
permission ("Can see every editor's jobs", ``editors.view_all_jobs``) hangs off a model
without a table here (``editors.models.Job``). The page knows no kind of job: each app's
source says its rows, statuses and links (``catalog.job_sources``,
``stats.job_source``). Stop posts to the kind's own action with ``next`` pointing back
here (``config.admin.ObjectActionsMixin``), so the kind's message shows on this page.

Everyone with the admin sees their own jobs; the permission shows everyone's, with a
"Only mine" link. Bounded: page N asks each source for its latest N x ``PER_PAGE`` + 1 rows,
and no further than ``MAX_PAGES`` (the kinds' own lists go further back). While a job on
the page is queued or running, the list refreshes in place (``editors/live_refresh.js``).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from config.admin import ReadOnlyAdmin
from config.humanize import format_moment, human_duration, quantity
from config.jobs import JobQuery, JobRow, jobs_listed
from editors.models import Job

PER_PAGE = 25
MAX_PAGES = 20
VIEW_ALL = "editors.view_all_jobs"


def job_page_number(value: str | None) -> int:
    """``?page=`` as a page number within 1..MAX_PAGES (anything else: the first)."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGES)


def progress_text(row: JobRow) -> str:
    """ "40 of 120 products (33%)"; "-" while the total is not known yet."""
    if not row.total:
        return "-"
    return f"{row.done:,} of {quantity(row.total, row.unit)} ({row.percent}%)"


def time_left_text(row: JobRow) -> str:
    if not row.is_active:
        return ""
    if row.eta is None:
        return "Not known yet"
    return f"about {human_duration(row.eta)}" if row.eta else "Finishing"


@admin.register(Job)
class JobCentreAdmin(ReadOnlyAdmin):
    """The job centre; no table, so no object pages: the list is the page."""

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Everyone with the admin has their own jobs to look at.
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> None:
        return None  # no table: "doesn't exist", as Django says for a missing object

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        may_see_all = request.user.has_perm(VIEW_ALL)
        everyone = may_see_all and request.GET.get("mine") != "1"
        number = job_page_number(request.GET.get("page"))
        rows = jobs_listed(
            JobQuery(user=request.user, everyone=everyone, limit=number * PER_PAGE + 1)
        )
        shown = rows[(number - 1) * PER_PAGE : number * PER_PAGE]
        mine = "mine=1&" if may_see_all and not everyone else ""
        here = reverse("admin:editors_job_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Jobs",
            "opts": self.opts,
            "rows": [_shown(row) for row in shown],
            "live": any(row.is_active for row in shown),
            "everyone": everyone,
            "may_see_all": may_see_all,
            "page_number": number,
            "previous_url": f"?{mine}page={number - 1}" if number > 1 else "",
            "next_url": f"?{mine}page={number + 1}"
            if len(rows) > number * PER_PAGE and number < MAX_PAGES
            else "",
            "here": request.get_full_path() if request.GET else here,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/editors/jobs.html", context)


def _shown(row: JobRow) -> dict[str, Any]:
    return {
        "row": row,
        "status": row.status.label,
        "progress": progress_text(row),
        "time_left": time_left_text(row),
        "started": format_moment(row.created_at),
        "finished": format_moment(row.finished_at) if row.finished_at else "",
    }
