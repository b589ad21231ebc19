"""A saved view of the product list, and each editor's own list settings."""

from django.conf import settings
from django.db import models


class SavedView(models.Model):
    """A named product list: filters and search (``query``), sort and columns.

    The sort is kept as column names (``sort``), not as the list's column positions: a
    position depends on the columns shown and on whether the viewer has list actions,
    so the same ``o=3`` would sort another column for a teammate.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    #: The list's filters and search as its address says them (``status__exact=draft&q=shirt``),
    #: only the parameters the list knows (``catalog.listviews.query``).
    query = models.CharField(max_length=2000, blank=True)
    #: The sort, as column names, the first sorts first; "-" before a name: descending.
    sort = models.JSONField(default=list, blank=True)
    #: The columns in their order; empty: the list's standard columns.
    columns = models.JSONField(default=list, blank=True)
    #: Shared views are listed for every editor, who may open them or make one their
    #: default; only the owner changes or deletes them.
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name


class ProductListSettings(models.Model):
    """One editor's product list: the columns they chose last and their default view.

    One row per editor, so "one default per editor" holds by construction. The default
    may be a teammate's shared view; if its owner stops sharing it (or deletes it), the
    editor's default is cleared (``catalog.listviews.services``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="product_list_settings"
    )
    #: The columns in their order; empty: the list's standard columns.
    columns = models.JSONField(default=list, blank=True)
    default_view = models.ForeignKey(
        SavedView, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "product list settings"
        verbose_name_plural = "product list settings"

    def __str__(self) -> str:
        return f"Product list of {self.user_id}"
