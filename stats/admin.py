from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from catalog.admin import ProductAdmin
from catalog.models import Product
from stats.models import CategoryStats, ProductStaleness, ProductStats


class ReadOnlyAdmin(admin.ModelAdmin):
    """Statistics are computed by the workers; an edit here would be overwritten anyway."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ProductStats)
class ProductStatsAdmin(ReadOnlyAdmin):
    list_display = [
        "product",
        "variant_count",
        "price_min",
        "price_max",
        "price_avg",
        "total_stock",
        "stock_status",
        "completeness",
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
    def is_stale(self, obj: ProductStats) -> bool:
        return obj._is_stale


@admin.register(CategoryStats)
class CategoryStatsAdmin(ReadOnlyAdmin):
    list_display = [
        "category",
        "product_count",
        "published_count",
        "draft_count",
        "price_min",
        "price_max",
        "total_stock",
        "computed_at",
    ]
    list_select_related = ["category"]
    search_fields = ["category__name", "category__slug"]
    ordering = ["category__name"]


# --- Statistics on the product admin ------------------------------------------------------
# catalog never imports stats, so stats extends the catalog's product admin here: the
# statistics become change-list columns and a read-only block on the change page.

_STATS_FIELDS = [
    "stats_stock_status",
    "stats_price_range",
    "stats_total_stock",
    "stats_completeness",
    "stats_save_count",
    "stats_freshness",
]


class ProductWithStatsAdmin(ProductAdmin):
    list_display = [*ProductAdmin.list_display, "stats_stock_status", "stats_completeness"]
    list_select_related = [*ProductAdmin.list_select_related, "stats", "staleness"]
    readonly_fields = [*ProductAdmin.readonly_fields, *_STATS_FIELDS]

    def get_fieldsets(self, request: HttpRequest, obj: Product | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        editable = [f for f in fieldsets[0][1]["fields"] if f not in _STATS_FIELDS]
        fieldsets = [(None, {"fields": editable})]
        if obj is not None:
            fieldsets.append(("Statistics (computed by the workers)", {"fields": _STATS_FIELDS}))
        return fieldsets

    @staticmethod
    def _stats(obj: Product) -> ProductStats | None:
        try:
            return obj.stats
        except ProductStats.DoesNotExist:
            return None

    @admin.display(description="Stock status")
    def stats_stock_status(self, obj: Product) -> str:
        stats = self._stats(obj)
        return stats.get_stock_status_display() if stats else "-"

    @admin.display(description="Completeness")
    def stats_completeness(self, obj: Product) -> str:
        stats = self._stats(obj)
        return f"{stats.completeness}%" if stats else "-"

    @admin.display(description="Price range")
    def stats_price_range(self, obj: Product) -> str:
        stats = self._stats(obj)
        if not stats or stats.price_min is None:
            return "-"
        return f"{stats.price_min} - {stats.price_max} (average {stats.price_avg})"

    @admin.display(description="Total stock")
    def stats_total_stock(self, obj: Product) -> str:
        stats = self._stats(obj)
        return f"{stats.total_stock} in {stats.variant_count} variants" if stats else "-"

    @admin.display(description="Editor saves")
    def stats_save_count(self, obj: Product) -> str:
        stats = self._stats(obj)
        return str(stats.save_count) if stats else "-"

    @admin.display(description="Freshness")
    def stats_freshness(self, obj: Product) -> str:
        stats = self._stats(obj)
        computed = (
            f"computed {stats.computed_at:%Y-%m-%d %H:%M:%S} from version "
            f"{stats.computed_version} (product is at version {obj.version})"
            if stats
            else "not computed yet"
        )
        try:
            stale_since = obj.staleness.stale_since
        except ProductStaleness.DoesNotExist:
            return computed
        return f"{computed}; recompute queued since {stale_since:%Y-%m-%d %H:%M:%S}"


admin.site.unregister(Product)
admin.site.register(Product, ProductWithStatsAdmin)
