from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from catalog.admin.bulk_edit import ProductBulkEditMixin
from catalog.admin.category_tree import CategoryPathChoiceField
from catalog.admin.concurrency import Inline, OptimisticAdmin
from catalog.admin.currency import OneCurrencyFormSet
from catalog.admin.error_summary import ErrorSummaryAdmin
from catalog.admin.filters import CategorySubtreeFilter
from catalog.admin.history import HistoryAdmin
from catalog.admin.hooks import ExtensibleAdmin, product_admin_extensions
from catalog.admin.imports import ProductImportExportMixin
from catalog.admin.product_list import ProductChangeList, ProductListMixin
from catalog.admin.saved_views import SavedViewsAdmin, changelist_with_views
from catalog.admin.text import ControlCharacterFields
from catalog.edit_targets import ProductTarget
from catalog.history import SYSTEM_AUTHOR
from catalog.models import Product, Variant
from catalog.selectors import product_last_editors
from config.admin import ListCheckboxes
from config.humanize import format_moment

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _VariantCount(TypedDict):
    """What ``ProductAdmin.get_queryset`` annotates each product with."""

    _variant_count: int


#: Size of the variant admin's text inputs: the admin's default (610px) is far too wide.
NARROW_TEXT: dict[type[models.Field], dict[str, Any]] = {
    models.CharField: {"widget": forms.TextInput(attrs={"size": 16})}
}


#: The inline's columns, also the fields the concurrency check merges row by row.
VARIANT_FIELDS: tuple[str, ...] = ("sku", "size", "colour", "price", "currency", "stock")


class VariantInline(ControlCharacterFields, admin.TabularInline):
    model = Variant
    formset = OneCurrencyFormSet
    extra = 1
    fields = list(VARIANT_FIELDS)
    # The admin's default text input is 610px wide; six of them overflow the row.
    formfield_overrides = NARROW_TEXT


@admin.register(Product)
class ProductAdmin(
    SavedViewsAdmin,
    ProductListMixin,
    ErrorSummaryAdmin,
    ListCheckboxes,
    ControlCharacterFields,
    ProductImportExportMixin,
    ProductBulkEditMixin,
    OptimisticAdmin,
    ExtensibleAdmin,
    HistoryAdmin,
):
    """Products with their variants inline; other apps add to it through ``catalog.admin.hooks``.

    A save against a newer version merges or shows the conflict (``OptimisticAdmin``),
    field by field and variant row by variant row. A refused save names its problems at
    the top, each linked to its field or variant row (``ErrorSummaryAdmin``). The list
    shows the columns each editor chose and opens their saved views (``SavedViewsAdmin``).
    """

    edit_target = ProductTarget()
    edit_inline = Inline(prefix="variants", fields=VARIANT_FIELDS, fk="product")

    extensions = product_admin_extensions

    list_display = ["sku", "name", "category", "status", "variant_count", "updated"]
    list_select_related = ["category"]
    list_filter = ["status", ("category", CategorySubtreeFilter)]
    # Read by ProductListMixin.get_search_results (catalog.search), not field by field.
    search_fields = ["sku", "name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["category"]
    # last_changed_by and variant_history cost a query each: change page only, never a
    # change-list column (one query per row).
    readonly_fields = ["version", "created_at", "updated_at", "last_changed_by", "variant_history"]
    inlines = [VariantInline]
    list_per_page = 50
    # An exact COUNT(*) over 100,000 unfiltered rows on every page view is wasted work.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        # A correlated subquery, not annotate(Count(...)): a GROUP BY over every
        # product and variant made the 100,000-product change list take 6 s on MariaDB.
        # Not sortable for the same reason.
        variants = (
            Variant.objects.filter(product=OuterRef("pk"))
            .order_by()
            .values("product")
            .annotate(n=Count("*"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(_variant_count=Coalesce(Subquery(variants, output_field=IntegerField()), 0))
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        # Search, count and deep pages: catalog.admin.product_list.
        return changelist_with_views(ProductChangeList)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        # The chosen category reads as its path, as the picker's choices do.
        if db_field.name == "category":
            kwargs["form_class"] = CategoryPathChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if not getattr(request, "_restore_page", False):
            return fieldsets
        # The restore page shows a past version: today's version number, dates, editors
        # and statistics would read as that version's. The page says the version's date.
        readonly = set(self.get_readonly_fields(request, obj))
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f not in readonly]})
            for title, options in fieldsets
            if any(f not in readonly for f in options["fields"])
        ]

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, obj: Product) -> str:
        # "2026-12-01 13:07" instead of "Dec. 1, 2026, 1:07 p.m.": a third narrower.
        return f"{timezone.localtime(obj.updated_at):%Y-%m-%d %H:%M}"

    @admin.display(description="Variants")
    def variant_count(self, obj: "WithAnnotations[Product, _VariantCount]") -> int:
        return obj._variant_count

    @admin.display(description="Last changed by")
    def last_changed_by(self, obj: Product) -> str:
        if obj.pk is None:
            return "-"
        editors = product_last_editors(product_id=obj.pk)
        return (
            format_html_join(
                ", ",
                "{} ({})",
                (
                    (
                        e.username or SYSTEM_AUTHOR,
                        format_moment(e.changed_at),
                    )
                    for e in editors
                ),
            )
            or "-"
        )

    @admin.display(description="Variant history")
    def variant_history(self, obj: Product) -> SafeString | str:
        # Variants have their own history (Catalog > Variants): link each one from here.
        if obj.pk is None:
            return "-"
        links = [
            (reverse("admin:catalog_variant_history", args=[pk]), sku)
            for pk, sku in obj.variants.order_by("sku").values_list("pk", "sku")
        ]
        return format_html_join(", ", '<a href="{}">{}</a>', links) or "-"
