from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from config.admin import ReadOnlyAdmin
from editors.models import EditorActivity
from editors.selectors import editor_activity

#: Periods the page offers, in days; the first is the default.
ACTIVITY_PERIODS = [7, 30, 90]


@admin.register(EditorActivity)
class EditorActivityAdmin(ReadOnlyAdmin):
    """Admin > Editors > Editor activity: saves per day and products touched, per editor.

    Read-only, and only for ``editors.view_activity`` (superusers have every permission):
    it is a view over colleagues' work, for whoever leads the editors, not for editors.
    """

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("editors.view_activity")

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> None:
        # No table, so no object: its change and history URLs say "doesn't exist"
        # (Django's answer for a missing object) instead of querying a table that is not.
        return None

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            days = int(request.GET.get("days", ACTIVITY_PERIODS[0]))
        except ValueError:
            days = ACTIVITY_PERIODS[0]
        if days not in ACTIVITY_PERIODS:
            days = ACTIVITY_PERIODS[0]
        # Whole days: today and the days - 1 before it, in TIME_ZONE.
        today = timezone.localdate()
        since = timezone.make_aware(datetime.combine(today - timedelta(days=days - 1), time.min))
        context = {
            **self.admin_site.each_context(request),
            "title": "Editor activity",
            "opts": self.opts,
            "rows": editor_activity(since=since),
            "days": days,
            "time_zone": timezone.get_current_timezone_name(),
            "periods": ACTIVITY_PERIODS,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/editors/activity.html", context)


# Editors > Jobs (registered there).
from editors import job_centre  # noqa: E402, F401
