"""The 403 page: in the admin's look, saying which permission is missing.

Django's own 403 is a bare "403 Forbidden" that leaves an editor nowhere. An admin page
refused for lack of a model permission names it (``missing_permission``) so the editor
knows what to ask an administrator for; other refusals say what they can.
"""

from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve

#: The admin's URL names end in the view; each needs one of the model's permissions.
_VIEW_PERMISSIONS = {
    "changelist": "view",
    "change": "change",
    "add": "add",
    "delete": "delete",
    "history": "view",
}


def missing_permission(request: HttpRequest) -> Permission | None:
    """The model permission an admin page needs, when the URL says which one."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if match.namespace != "admin" or not match.url_name:
        return None
    for suffix, action in _VIEW_PERMISSIONS.items():
        prefix = match.url_name.removesuffix(f"_{suffix}")
        if prefix == match.url_name:
            continue
        app_label, _, model = prefix.partition("_")
        return (
            Permission.objects.select_related("content_type")
            .filter(
                content_type__app_label=app_label,
                content_type__model=model,
                codename=f"{action}_{model}",
            )
            .first()
        )
    return None


def permission_denied(request: HttpRequest, exception: PermissionDenied) -> HttpResponse:
    """``handler403``: the admin's page around the refusal, with the permission named."""
    permission = missing_permission(request)
    context = {
        **admin.site.each_context(request),
        "title": "You are not allowed to do this",
        "permission": permission,
        "reason": str(exception),
    }
    response = TemplateResponse(request, "403.html", context, status=403)
    return response.render()
