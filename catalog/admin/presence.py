"""The presence endpoint of a change page: ``<id>/presence/`` (logic: ``catalog.presence``).

The page's script GETs it on load and every ``PRESENCE_POLL_SECONDS``: the GET records
this editor's presence (only for a user who may change the object: someone who may only
look is not "editing") and answers who else has the form open and the latest version
with who saved it and when, so the page can say "Saved by alice at 14:03" and offer to
bring their changes into the form (``catalog.admin.bring_in``) when the version is newer
than the one it was loaded at.
"""

from typing import TYPE_CHECKING, Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import URLPattern, path
from django.utils import timezone

from catalog.edit_targets import EditTarget, Save
from catalog.presence import presence_others, presence_ping

if TYPE_CHECKING:
    _ModelAdmin = Any
else:
    _ModelAdmin = object


def saved_at_text(at: Any) -> str:
    """ "14:03" today, "5 Dec 2026, 14:03" another day (local time): what a notice says."""
    local = timezone.localtime(at)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local.day} {local:%b %Y, %H:%M}"


def saves_by_text(saves: list[Save]) -> str:
    """ "alice at 14:03" or "alice at 14:03 and bob at 14:05", oldest first."""
    parts = [f"{s.username or 'someone'} at {saved_at_text(s.at)}" for s in reversed(saves)]
    return " and ".join(parts)


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


class PresenceAdmin(_ModelAdmin):
    """Serves the presence poll for a model admin with an ``edit_target``."""

    edit_target: EditTarget

    # ---- presence ---------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_presence"
        view = self.admin_site.admin_view(self.presence_view)
        return [path("<path:object_id>/presence/", view, name=name), *super().get_urls()]

    def presence_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """GET: ping this user's presence (if they may change the object); answer who
        else is editing it and the latest save."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        label, user_id = self.opts.label_lower, int(request.user.pk or 0)
        # Only whoever may change it is "editing": a view-only visit is neither recorded
        # nor announced, but still told about saves (its page may be out of date).
        may_change = bool(self.has_change_permission(request, obj))
        if may_change:
            presence_ping(user_id=user_id, model=label, object_id=str(obj.pk))
        now = timezone.now()
        others = presence_others(user_id=user_id, model=label, object_id=str(obj.pk))
        latest = self.edit_target.saves_since(obj=obj, since=None)[:1]
        noun = self.opts.verbose_name
        return JsonResponse(
            {
                "version": self.edit_target.version(obj=obj),
                "editing": may_change,
                "others": [
                    {
                        "user": p.username,
                        "text": f"{p.username} is also editing this {noun} "
                        f"(opened {_ago((now - p.opened_at).total_seconds())} ago)",
                    }
                    for p in others
                ],
                "saved": (
                    {
                        "user": latest[0].username,
                        "text": f"Saved by {latest[0].username or 'someone'} "
                        f"at {saved_at_text(latest[0].at)}",
                    }
                    if latest
                    else {"user": None, "text": "Saved by someone else"}
                ),
            }
        )
