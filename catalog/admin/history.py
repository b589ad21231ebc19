"""Edit history pages (django-simple-history): field diffs and a guarded revert."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper


class _ChoiceLabels(HistoricalRecordContextHelper):
    """Diffs show a choice's label ("Draft -> Published"), as the change form does."""

    def prepare_delta_change_value(self, change: ModelChange, value: object) -> object:
        field = self.model._meta.get_field(change.field)
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin (History page with field diffs, revert), revert guarded.

    simple-history 3.13 hides the Revert button from users who may only view, but its
    form view saves any POST after checking *view* permission; a revert is a change,
    so a POST needs change permission here (editors have it for products and variants).
    """

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: object
    ) -> HistoricalRecordContextHelper:
        return _ChoiceLabels(self.model, historical_record)
