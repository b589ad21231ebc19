"""Statistics > Queues & workers: the latest monitoring snapshot and a 24-hour chart."""

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from config.admin import ReadOnlyAdmin
from stats.formatting import format_duration
from stats.models import OpsDashboard
from stats.monitoring.charts import line_chart_svg
from stats.monitoring.services import monitoring_samples_series, monitoring_snapshot_latest


@admin.register(OpsDashboard)
class OpsDashboardAdmin(ReadOnlyAdmin):
    """The "Queues & workers" page: the monitoring snapshot, live, and a 24-hour chart."""

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
            "title": "Queues & workers",
        }
        if request.GET.get("partial"):
            return TemplateResponse(request, "admin/stats/ops_live.html", context)
        now = timezone.now()
        series = monitoring_samples_series(hours=24)
        has_samples = any(series.values())
        context["chart"] = (
            mark_safe(line_chart_svg(series, start=now - timedelta(hours=24), end=now))
            if has_samples
            else ""
        )
        return TemplateResponse(request, "admin/stats/ops.html", context)
