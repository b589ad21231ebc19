"""Statistics > Queues & workers: the latest monitoring snapshot and a chart (last hour by
default; 24 hours and 7 days on request)."""

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from config.admin import ReadOnlyAdmin
from stats.formatting import format_duration, format_task_duration
from stats.monitoring.charts import line_chart_svg
from stats.monitoring.models import OpsDashboard
from stats.monitoring.services import monitoring_samples_series, monitoring_snapshot_latest

#: The chart's periods (the samples are kept ``STATS_MONITOR_SAMPLE_RETENTION_HOURS``).
CHART_PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
#: The last hour: what is happening now, where a day's scale would flatten it.
DEFAULT_PERIOD = "1h"


@admin.register(OpsDashboard)
class OpsDashboardAdmin(ReadOnlyAdmin):
    """The "Queues & workers" page: the latest snapshot, refreshed, and a chart by period."""

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("stats.view_ops")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        snapshot = monitoring_snapshot_latest()  # the sampler's: never waits on the broker
        run = snapshot.bulk_run or {}
        context = {
            **self.admin_site.each_context(request),
            "snapshot": snapshot,
            "queues": list(snapshot.queues.values()),
            "eta": format_duration(run.get("eta_seconds")),
            "oldest": format_duration(snapshot.oldest_stale_seconds),
            "tasks": [
                {
                    "name": task.task.replace("_", " "),
                    "windows": [
                        (
                            w.done,
                            w.failed,
                            format_task_duration(w.p50_seconds),
                            format_task_duration(w.p95_seconds),
                        )
                        for w in (task.hour, task.day)
                    ],
                }
                for task in snapshot.tasks
            ],
            "broker_lag": snapshot.source_lag.get("broker", 0),
            "title": "Queues & workers",
        }
        if request.GET.get("partial"):
            return TemplateResponse(request, "admin/stats/ops_live.html", context)
        period = request.GET.get("period", DEFAULT_PERIOD)
        if period not in CHART_PERIODS:
            period = DEFAULT_PERIOD
        now = timezone.now()
        start = now - CHART_PERIODS[period]
        series = monitoring_samples_series(since=start)
        context |= {"period": period, "periods": list(CHART_PERIODS)}
        context["chart"] = (
            mark_safe(line_chart_svg(series, start=start, end=now)) if any(series.values()) else ""
        )
        return TemplateResponse(request, "admin/stats/ops.html", context)
