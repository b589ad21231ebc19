from typing import Any

from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import ForeignKey, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from catalog.admin.category_tree import (
    CategoryParentPicker,
    CategoryPathChoiceField,
    CategoryTreeChangeList,
    CategoryTreeRows,
    parent_choices_excluded,
)
from catalog.admin.concurrency import OptimisticAdmin
from catalog.admin.error_summary import ErrorSummaryAdmin
from catalog.admin.filters import INDENT
from catalog.admin.hooks import ExtensibleAdmin, category_admin_extensions
from catalog.admin.text import ControlCharacterFields
from catalog.edit_targets import CategoryTarget
from catalog.models import Category
from catalog.selectors import PATH_SEPARATOR
from catalog.services import CategoryTreeError, category_parent_check, category_save
from config.admin import ListCheckboxes


class CategoryForm(forms.ModelForm):
    """The admin's category form: the tree check under the lock is a form error.

    The admin validates and saves in one transaction, so the lock taken here is held
    until the save commits: a concurrent move that would close a cycle with this one
    waits, then sees it and is refused with this same error instead of a 500.
    """

    class Meta:
        model = Category
        fields = ["name", "slug", "parent"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The picker leaves this category and its subtree out (the add page: nothing).
        widget = self.fields["parent"].widget
        picker = getattr(widget, "widget", widget)  # inside Django's "+" / edit wrapper
        if isinstance(picker, CategoryParentPicker):
            picker.category_id = self.instance.pk

    def _post_clean(self) -> None:
        # Django's hook after the model's own validation (absent from django-stubs): the
        # quick check without the lock has run, and its errors come first.
        # Registry: config.upstream "Django ModelForm _post_clean".
        super()._post_clean()  # type: ignore[misc]
        if "parent" in self.errors:
            return
        try:
            category_parent_check(category_id=self.instance.pk, parent_id=self.instance.parent_id)
        except CategoryTreeError as exc:
            self.add_error("parent", str(exc))


@admin.register(Category)
class CategoryAdmin(
    ErrorSummaryAdmin,
    ListCheckboxes,
    ControlCharacterFields,
    OptimisticAdmin,
    ExtensibleAdmin,
    admin.ModelAdmin,
):
    """Categories as a tree (``catalog.admin.category_tree``); other apps add actions
    through ``catalog.admin.hooks``.

    A save against a newer ``Category.version`` merges or shows the conflict.
    """

    edit_target = CategoryTarget()

    extensions = category_admin_extensions
    form = CategoryForm

    # Names, not slugs: the slug is on the category's page (and in the import's paths).
    list_display = ["tree_name", "products_total", "view_products"]
    # The name cell holds its own link (after the indent and the path above it).
    list_display_links = None
    # The tree's order is the order: no column re-sorts it.
    sortable_by = ()
    list_per_page = 100
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[CategoryTreeChangeList]:
        return CategoryTreeChangeList

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[Category],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Paginator:
        # The list and every autocomplete of categories (Django pages both with this).
        return Paginator(CategoryTreeRows(queryset), per_page, orphans, allow_empty_first_page)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Category], search_term: str
    ) -> tuple[QuerySet[Category], bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        excluded = parent_choices_excluded(request)
        if excluded:
            queryset = queryset.exclude(pk__in=excluded)
        return queryset, may_have_duplicates

    def autocomplete_label(self, obj: Category) -> str:
        """How a category reads in a drop-down (``config.admin_site``): its path."""
        return PATH_SEPARATOR.join(getattr(obj, "tree_path", None) or [obj.name])

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "parent":
            kwargs["widget"] = CategoryParentPicker(db_field, self.admin_site)
            kwargs["form_class"] = CategoryPathChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Category")
    def tree_name(self, obj: Category) -> SafeString:
        url = reverse("admin:catalog_category_change", args=[obj.pk])
        path = getattr(obj, "shown_path", "")
        return format_html(
            '{}{}<a href="{}">{}</a>',
            INDENT * 2 * getattr(obj, "tree_depth", 0),
            format_html('<span class="quiet">{} / </span>', path) if path else "",
            url,
            obj.name,
        )

    @admin.display(description="Products (with subcategories)")
    def products_total(self, obj: Category) -> str:
        return f"{getattr(obj, 'products_total', 0):,}"

    @admin.display(description="Products")
    def view_products(self, obj: Category) -> SafeString:
        # The product list's category filter means the whole subtree.
        url = reverse("admin:catalog_product_changelist")
        return format_html(
            '<a href="{}?{}" aria-label="View products of {}">View products</a>',
            url,
            urlencode({"category__id__exact": obj.pk}),
            obj.name,
        )

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        category_save(category=obj)
