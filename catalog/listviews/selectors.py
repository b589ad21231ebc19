"""Saved views and list settings: the reads the product list makes."""

from typing import Any

from django.db.models import Q

from catalog.listviews.models import ProductListSettings, SavedView


def _visible(user: Any) -> Q:
    return Q(owner=user) | Q(shared=True)


def saved_views_for(*, user: Any) -> list[SavedView]:
    """The views ``user`` may open: their own first, then those teammates share."""
    views = SavedView.objects.filter(_visible(user)).select_related("owner")
    return sorted(views, key=lambda v: (v.owner_id != user.pk, v.name.casefold(), v.pk))


def saved_view_visible(*, user: Any, view_id: Any) -> SavedView | None:
    """The view ``view_id`` if ``user`` may open it (theirs, or shared), else ``None``."""
    try:
        view_id = int(view_id)
    except (TypeError, ValueError):
        return None
    return SavedView.objects.filter(_visible(user), pk=view_id).select_related("owner").first()


def list_settings_for(*, user: Any) -> ProductListSettings:
    """The editor's list settings, unsaved defaults if they never chose anything.

    One query, with their default view: every product list page reads it.
    """
    found = ProductListSettings.objects.filter(user=user).select_related("default_view").first()
    return found or ProductListSettings(user=user)


def default_view_for(*, user: Any, settings: ProductListSettings | None = None) -> SavedView | None:
    """The view the product list opens on for ``user``, if they chose one they may see."""
    settings = settings or list_settings_for(user=user)
    view = settings.default_view
    if view is None or (view.owner_id != user.pk and not view.shared):
        return None
    return view
