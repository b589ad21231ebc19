"""The admin site: Django's, with the home page in the order editors work in.

Installed through ``config.apps.CatalogAdminConfig`` (Django's documented way to replace
the default site: ``AdminConfig.default_site``), so ``django.contrib.admin.site`` and
every ``@admin.register`` in the apps are this site; no app's admin is unregistered or
registered again.

Three hooks, all documented ``AdminSite`` methods (the third, ``each_context``, gives
every page the count of the user's jobs in progress, beside the header's Jobs link):

- ``get_app_list``: Django lists the apps by name, which put Axes and Themes (tools for
  whoever runs the system) above the catalog. Here the catalog comes first, then its
  statistics, then the editors and accounts, and the third-party tools last. The side
  menu reads the same list, so it follows.
- ``autocomplete_view``: a model admin may say how its objects read in an autocomplete
  drop-down (``autocomplete_label(obj)``, e.g. a category's path "Clothing / Shirts");
  without one it is ``str(obj)``, as in Django.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from config.jobs import jobs_in_progress

#: App labels in the order the home page lists them; apps not named come after these,
#: by name, and before ``LAST``.
FIRST = ("catalog", "stats", "editors", "auth")
#: Third-party tools, for whoever runs the system: the end of the page.
LAST = ("axes", "admin_interface")


def app_position(app_label: str) -> tuple[int, int]:
    """Where an app goes on the home page: (group, place in the group)."""
    if app_label in FIRST:
        return (0, FIRST.index(app_label))
    if app_label in LAST:
        return (2, LAST.index(app_label))
    return (1, 0)


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete answer, each object labelled by its model admin if it says how."""

    def serialize_result(self, obj: Any, to_field_name: str) -> dict[str, str]:
        # Django's method since 3.2 (absent from django-stubs).
        result: dict[str, str] = super().serialize_result(obj, to_field_name)  # type: ignore[misc]
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(obj)
        return result


class CatalogAdminSite(admin.AdminSite):
    # Our name in every browser tab and page the theme does not title itself (the
    # theme's own pages use its title), never Django's "Django site admin".
    site_title = "Catalog Editor"
    site_header = "Catalog Editor"
    index_title = "Catalog"
    # No left menu: at 1,366 px its 360 px cut off the product list's statistics, the
    # Variants table's last column, the History page's SKUs. Home, the breadcrumbs and
    # the home page lead everywhere it did.
    enable_nav_sidebar = False

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        # Django sorted them by name: a stable sort keeps that order within a group.
        return sorted(apps, key=lambda app: app_position(app["app_label"]))

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        """Every page's context, with the count of the user's jobs in progress for the
        header's Jobs link: lazy, so a page without the header (login) asks nothing."""
        context = super().each_context(request)
        context["jobs_in_progress"] = SimpleLazyObject(lambda: jobs_in_progress(request.user))
        return context

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        view = LabelledAutocompleteJsonView.as_view(admin_site=self)
        return view(request)  # type: ignore[return-value]  # a JsonResponse
