"""Read-only pages of the computed figures (Statistics > Product / Category statistics)."""

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest

from config.admin import ReadOnlyAdmin
from stats.figures import CATEGORY_FIGURES, PRODUCT_FIGURES
from stats.formatting import format_price_ranges
from stats.recompute.models import (
    CategoryPriceRange,
    CategoryStats,
    ProductStaleness,
    ProductStats,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Staleness(TypedDict):
    """What ``ProductStatsAdmin.get_queryset`` annotates each row with."""

    _is_stale: bool


@admin.register(ProductStats)
class ProductStatsAdmin(ReadOnlyAdmin):
    """Statistics are computed by the workers; an edit here would be overwritten anyway.

    Whoever may delete a product deletes its statistics with it (``deleted_with``).
    """

    deleted_with = "catalog.delete_product"

    list_display = [
        "product",
        *(name for name in PRODUCT_FIGURES if name != "category_id"),
        "save_count",
        "is_stale",
        "computed_at",
    ]
    list_select_related = ["product"]
    list_filter = ["stock_status"]
    search_fields = ["product__sku", "product__name"]
    ordering = ["-computed_at"]
    list_per_page = 50
    # An exact COUNT(*) over 100,000 rows on every page view is wasted work.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProductStats]:
        stale = ProductStaleness.objects.filter(product_id=OuterRef("product_id"))
        return super().get_queryset(request).annotate(_is_stale=Exists(stale))

    @admin.display(description="Stale", boolean=True, ordering="_is_stale")
    def is_stale(self, obj: "WithAnnotations[ProductStats, _Staleness]") -> bool:
        return obj._is_stale


@admin.register(CategoryStats)
class CategoryStatsAdmin(ReadOnlyAdmin):
    """A category's figures; whoever may delete the category deletes them with it."""

    deleted_with = "catalog.delete_category"
    list_display = ["category", *CATEGORY_FIGURES, "price_ranges", "computed_at"]
    list_select_related = ["category"]
    search_fields = ["category__name", "category__slug"]
    ordering = ["category__name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CategoryStats]:
        ranges = CategoryPriceRange.objects.order_by("currency")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("category__price_ranges", queryset=ranges))
        )

    @admin.display(description="Price ranges (per currency)")
    def price_ranges(self, obj: CategoryStats) -> str:
        return format_price_ranges(obj.category.price_ranges.all())
