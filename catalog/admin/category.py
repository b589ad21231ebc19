from django.contrib import admin

from catalog.admin.concurrency import OptimisticAdmin
from catalog.admin.hooks import ExtensibleAdmin, category_admin_extensions
from catalog.edit_targets import CategoryTarget
from catalog.models import Category


@admin.register(Category)
class CategoryAdmin(OptimisticAdmin, ExtensibleAdmin, admin.ModelAdmin):
    """Categories; other apps add actions through ``catalog.admin.hooks``.

    A save against a newer ``Category.version`` merges or shows the conflict.
    """

    edit_target = CategoryTarget()

    extensions = category_admin_extensions

    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
