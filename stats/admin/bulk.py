"""Statistics > Bulk recompute runs: watch a run's progress and chunks, cancel it."""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from config.admin import ObjectAction, ObjectActionsMixin, ReadOnlyAdmin
from config.humanize import format_moment, human_duration, quantity
from stats.bulk.models import BulkChunk, BulkRun
from stats.bulk.publish import bulk_chunks_owed
from stats.bulk.selectors import bulk_run_progress
from stats.bulk.services import BulkRunError, bulk_run_cancel
from stats.formatting import format_duration, format_scope

#: Chunk rows shown on a run's page: a whole-catalog run has thousands.
CHUNKS_SHOWN = 50

_PROGRESS_CLASSES: dict[str, str] = {
    BulkRun.Status.FAILED: " progress-failed",
    BulkRun.Status.CANCELLED: " progress-cancelled",
}


def run_not_sent_note() -> str:
    """Why a run's chunks wait, and what follows (the start message and the run's page)."""
    return (
        "The message system could not be reached, so its groups are not sent yet: they are "
        f"sent by themselves within {human_duration(settings.STATS_BULK_RESUME_INTERVAL)} of "
        "its coming back. The run can be cancelled meanwhile."
    )


def pace_text(rate_limit: str) -> str:
    """A run's rate limit as an editor reads it: ``"30/h"`` -> ``"at most 30 groups an hour"``."""
    if not rate_limit:
        return "no limit"
    count, _, period = rate_limit.partition("/")
    per = {"s": "a second", "m": "a minute", "h": "an hour"}.get(period or "s", "a second")
    return f"at most {quantity(int(float(count)), 'group')} {per}"


def _owed(run: BulkRun) -> int:
    """Chunks of an active run still waiting for their message; counted once per page."""
    if "_owed" not in run.__dict__:
        run.__dict__["_owed"] = bulk_chunks_owed(run_id=run.pk) if run.is_active else 0
    return run.__dict__["_owed"]


@admin.register(BulkRun)
class BulkRunAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """Runs are started by actions, the command and the schedule; here they are watched.

    Read-only: the run's figures are written by the workers. The one thing to do on a
    run is cancel it: ops with ``stats.cancel_bulkrun`` any run, an editor their own.
    """

    # Fits 1,366 px: where a run was started from is a filter (and on its page), the
    # failed products are in the Products column only when there are some.
    list_display = [
        "id",
        "scope_text",
        "status",
        "progress",
        "products_column",
        "eta",
        "started_by",
        "created_at",
    ]
    list_display_links = ["id", "scope_text"]
    list_select_related = ["started_by"]
    list_filter = ["status", "trigger"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["scope_text", "trigger", "status", "started_by"]}),
        (
            "Progress",
            {
                "fields": [
                    "progress",
                    "chunk_counts",
                    "products_summary",
                    "eta",
                    "group_size",
                    "pace",
                    "created_at",
                    "started_at",
                    "finished_at",
                ]
            },
        ),
        ("Groups of products", {"fields": ["chunk_table"]}),
    ]
    readonly_fields = [
        "scope_text",
        "progress",
        "group_size",
        "pace",
        "chunk_counts",
        "products_summary",
        "eta",
        "created_at",
        "chunk_table",
        "chunk_table_with_workers",
        "not_queued",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BulkRun]:
        queryset = super().get_queryset(request).select_related("started_by")
        return queryset.prefetch_related("categories")

    def get_fieldsets(self, request: HttpRequest, obj: BulkRun | None = None) -> Any:
        """The "Not queued" line only while chunks of an active run wait for their message;
        the worker of each group only for whoever runs the system (``cancel_bulkrun``)."""
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.has_perm("stats.cancel_bulkrun"):
            fieldsets = [
                (name, {**options, "fields": [_with_workers(f) for f in options["fields"]]})
                for name, options in fieldsets
            ]
        if obj is None or not _owed(obj):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "not_queued"]}), *rest]

    def has_cancel_permission(self, request: HttpRequest, obj: BulkRun | None = None) -> bool:
        """Ops cancel any run (``stats.cancel_bulkrun``); an editor cancels their own.

        Asked without a run first (may this user cancel runs at all?), then with it.
        """
        user = request.user
        if user.has_perm("stats.cancel_bulkrun"):
            return True
        if obj is None:
            return user.has_perm("stats.add_bulkrun")
        return obj.started_by_id is not None and obj.started_by_id == user.pk

    def get_object_actions(self) -> list[ObjectAction]:
        return [
            ObjectAction(
                slug="cancel",
                label="Cancel run",
                view=BulkRunAdmin.cancel_view,
                permitted=BulkRunAdmin.has_cancel_permission,
                shown=lambda admin_, request, run: run.is_active,
            )
        ]

    def cancel_view(self, request: HttpRequest, run: BulkRun) -> HttpResponse:
        """Cancel the run (POST only and permission checked by ``ObjectActionsMixin``)."""
        try:
            run = bulk_run_cancel(run_id=run.pk)
        except BulkRunError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Bulk run {run.pk} cancelled: {quantity(run.chunks_cancelled, 'group')} "
                "of products will not be processed; a group already running finishes.",
                messages.SUCCESS,
            )
        return self.change_page_redirect(run.pk)

    @admin.display(description="Scope")
    def scope_text(self, obj: BulkRun) -> str:
        scope = format_scope(obj)  # str.capitalize() would lower the categories' names
        return scope[:1].upper() + scope[1:]

    @admin.display(description="Progress")
    def progress(self, obj: BulkRun) -> SafeString:
        progress = bulk_run_progress(obj)
        finished = obj.chunks_done + obj.chunks_failed
        cancelled = "cancelled at " if obj.status == BulkRun.Status.CANCELLED else ""
        # A <progress>, coloured by a class (editors/admin.css): no style attribute, which
        # the Content-Security-Policy blocks.
        return format_html(
            '<progress class="progress-bar{}" max="100" value="{}" title="{}%" '
            'aria-hidden="true"></progress> '
            "<span>{}{}% &middot; {}/{}</span>",
            _PROGRESS_CLASSES.get(obj.status, ""),
            progress.percent,
            progress.percent,
            cancelled,
            progress.percent,
            f"{finished:,}",
            quantity(obj.chunks_total, "group"),
        )

    @admin.display(description="ETA")
    def eta(self, obj: BulkRun) -> str:
        return format_duration(bulk_run_progress(obj).eta_seconds)

    @admin.display(description="Products done", ordering="products_done")
    def products_column(self, obj: BulkRun) -> str:
        failed = f" ({obj.products_failed:,} failed)" if obj.products_failed else ""
        return f"{obj.products_done:,}{failed}"

    @admin.display(description="Products")
    def products_summary(self, obj: BulkRun) -> str:
        return (
            f"{obj.products_done:,} done, {obj.products_failed:,} failed of {obj.products_total:,}"
        )

    @admin.display(description="Groups")
    def chunk_counts(self, obj: BulkRun) -> str:
        """Counted by status in one query: the run's counters do not tell pending from running."""
        counts = dict(
            BulkChunk.objects.filter(run=obj)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
        )
        shown = [
            f"{counts[status]:,} {label.lower()}"
            for status, label in BulkChunk.Status.choices
            if counts.get(status)
        ]
        return ", ".join(shown) or "none"

    @admin.display(description="Not queued")
    def not_queued(self, obj: BulkRun) -> str:
        return f"{quantity(_owed(obj), 'group')} of {obj.chunks_total:,}. {run_not_sent_note()}"

    @admin.display(description="Products per group")
    def group_size(self, obj: BulkRun) -> str:
        return f"{obj.chunk_size:,}"

    @admin.display(description="Pace")
    def pace(self, obj: BulkRun) -> str:
        return pace_text(obj.rate_limit)

    @admin.display(description="Groups shown")
    def chunk_table(self, obj: BulkRun) -> str:
        return _chunk_table(obj, workers=False)

    @admin.display(description="Groups shown")
    def chunk_table_with_workers(self, obj: BulkRun) -> str:
        return _chunk_table(obj, workers=True)


def _with_workers(field: Any) -> Any:
    return "chunk_table_with_workers" if field == "chunk_table" else field


def _chunk_table(obj: BulkRun, *, workers: bool) -> str:
    """A bounded table, one query: troubled chunks first, then the latest started.

    Troubled means an error was recorded (failed, or pending a retry): the rows worth
    reading. Product ID lists are not loaded; a chunk holds up to a thousand. The worker
    that ran each chunk is for whoever runs the system (``workers``), not for editors.
    """
    chunks = (
        BulkChunk.objects.filter(run=obj)
        .defer("product_ids")
        .order_by(
            Case(
                When(~Q(last_error=""), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            F("started_at").desc(nulls_last=True),
            "number",
        )[:CHUNKS_SHOWN]
    )
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                chunk.number,
                chunk.get_status_display(),
                chunk.attempts,
                format_html("<td>{}</td>", chunk.worker or "-") if workers else "",
                format_moment(chunk.started_at),
                format_moment(chunk.finished_at),
                chunk.products_done,
                chunk.products_failed,
                chunk.last_error or "-",
            )
            for chunk in chunks
        ),
    )
    if not rows:
        return "No groups: the run had nothing to recompute."
    shown = (
        f"All {quantity(obj.chunks_total, 'group')}"
        if obj.chunks_total <= CHUNKS_SHOWN
        else f"{CHUNKS_SHOWN} of {obj.chunks_total:,} groups"
    )
    return format_html(
        "<p>{}: those with an error first, then the latest started.</p>"
        "<table><thead><tr><th>#</th><th>Status</th><th>Attempts</th>{}"
        "<th>Started</th><th>Finished</th><th>Products done</th>"
        "<th>Failed</th><th>Last error</th></tr></thead><tbody>{}</tbody></table>",
        shown,
        mark_safe("<th>Worker</th>") if workers else "",
        rows,
    )
