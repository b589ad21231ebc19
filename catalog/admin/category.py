from django.contrib import admin

from catalog.admin.hooks import ExtensibleAdmin, category_admin_extensions
from catalog.models import Category


@admin.register(Category)
class CategoryAdmin(ExtensibleAdmin, admin.ModelAdmin):
    """Categories; other apps add actions through ``catalog.admin.hooks``."""

    extensions = category_admin_extensions

    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
