"""The logo, favicon and theme stylesheet, public: the login page shows them too."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from editors.branding import mark_svg

#: The header's logo height in django-admin-interface's layout (its default logo's).
LOGO_SIZE = 36


def _svg(document: str) -> HttpResponse:
    return HttpResponse(document, content_type="image/svg+xml")


# An hour: a redeploy to another environment recolours open tabs within it.
@require_safe
@cache_control(max_age=3600, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    return _svg(mark_svg(environment_name=settings.ADMIN_ENVIRONMENT_NAME))


@require_safe
@cache_control(max_age=3600, public=True)
def logo(request: HttpRequest) -> HttpResponse:
    return _svg(mark_svg(environment_name=settings.ADMIN_ENVIRONMENT_NAME, size=LOGO_SIZE))


# Revalidated on every page: an operator's change of the theme shows on the next page.
@require_safe
@cache_control(no_cache=True)
def theme_css(request: HttpRequest) -> HttpResponse:
    """The theme's colours as a stylesheet of this site: django-admin-interface writes them
    in an inline style element, which the Content-Security-Policy blocks
    (templates/admin/base_site.html)."""
    return render(request, "admin_interface/theme.css", content_type="text/css")
