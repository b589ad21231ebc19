"""What stats adds to the catalog's product and category pages (through catalog.admin.hooks).

On products: stock status and completeness columns (sortable, with their filters from
``stats.admin.product_list``), a read-only "Statistics" block with the freshness line the
page's poll refreshes (``stats.admin.fresh`` adds the "Recompute statistics" button and
the poll), and a bulk-run action; on categories, a bulk-run action.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from catalog.admin.hooks import AdminExtension, category_admin_extensions, product_admin_extensions
from catalog.models import Category, Product
from config.humanize import format_moment, quantity
from config.outbox import unsent
from stats.admin.bulk import run_not_sent_note
from stats.admin.product_list import (
    COMPLETENESS_ORDERING,
    STOCK_ORDERING,
    CompletenessFilter,
    StockStatusFilter,
)
from stats.bulk.models import BulkRun
from stats.bulk.selectors import bulk_run_progress
from stats.bulk.services import BulkRunError, bulk_run_start
from stats.formatting import (
    format_duration,
    format_price_ranges,
    format_product_prices,
    format_scope,
)
from stats.now.selectors import product_stats_pending
from stats.recompute.models import ProductStaleness, ProductStats

#: Starting a run is cheap (chunks of ids) but its work is hours of the one rate-limited
#: queue, so it is a permission of its own rather than part of editing the catalog.
START_BULK_RUN = "stats.add_bulkrun"


def _stats(obj: Product) -> ProductStats | None:
    try:
        return obj.stats
    except ProductStats.DoesNotExist:
        return None


@admin.display(description="Stock status", ordering=STOCK_ORDERING)
def stats_stock_status(obj: Product) -> str:
    stats = _stats(obj)
    return stats.get_stock_status_display() if stats else "-"


@admin.display(description="Completeness", ordering=COMPLETENESS_ORDERING)
def stats_completeness(obj: Product) -> str:
    stats = _stats(obj)
    return f"{stats.completeness}%" if stats else "-"


@admin.display(description="Price range")
def stats_price_range(obj: Product) -> str:
    stats = _stats(obj)
    return format_product_prices(stats) if stats else "-"


@admin.display(description="Total stock")
def stats_total_stock(obj: Product) -> str:
    stats = _stats(obj)
    return f"{stats.total_stock} in {quantity(stats.variant_count, 'variant')}" if stats else "-"


@admin.display(description="Editor saves")
def stats_save_count(obj: Product) -> str:
    stats = _stats(obj)
    return str(stats.save_count) if stats else "-"


def stats_freshness_text(obj: Product) -> str:
    """When the figures were computed, and since when a recompute is pending."""
    stats = _stats(obj)
    if stats is None:
        computed = "not computed yet"
    elif stats.computed_version >= obj.version:
        computed = f"computed {format_moment(stats.computed_at)}, from the latest save"
    else:
        saves = quantity(obj.version - stats.computed_version, "save")
        computed = f"computed {format_moment(stats.computed_at)}, before the last {saves}"
    try:
        stale_since = obj.staleness.stale_since
    except ProductStaleness.DoesNotExist:
        return computed
    return f"{computed}; an update is on its way (asked for {format_moment(stale_since)})"


@admin.display(description="Freshness")
def stats_freshness(obj: Product) -> str:
    # The page's script (stats/static/stats/fresh_figures.js) polls data-url while
    # data-pending says a recompute is still to come.
    return format_html(
        '<span class="stats-freshness" data-url="{}" data-pending="{}">{}</span>',
        reverse("stats-product-figures", args=[obj.pk]),
        "1" if product_stats_pending(obj) else "0",
        stats_freshness_text(obj),
    )


def start_bulk_runs(
    model_admin: admin.ModelAdmin, request: HttpRequest, scopes: list[dict[str, Any]]
) -> None:
    """Start one run per scope; its chunks are sent once the run is committed."""
    user = request.user if request.user.is_authenticated else None  # the admin's: logged in
    for scope in scopes:
        try:
            with unsent() as not_sent:
                run = bulk_run_start(
                    trigger=BulkRun.Trigger.EDITOR,
                    started_by=user,
                    # Ops (who may cancel any run) are not limited to one run at a time.
                    one_active_run=not request.user.has_perm("stats.cancel_bulkrun"),
                    **scope,
                )
        except BulkRunError as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
            continue
        url = reverse(
            "admin:stats_bulkrun_change", args=[run.pk], current_app=model_admin.admin_site.name
        )
        model_admin.message_user(
            request,
            format_html(
                'Bulk run <a href="{}">{}</a> started: {}, {} in {}, ETA {}.',
                url,
                run.pk,
                format_scope(run),
                quantity(run.products_total, "product"),
                quantity(run.chunks_total, "group"),
                format_duration(bulk_run_progress(run).eta_seconds),
            ),
            messages.SUCCESS,
        )
        if not_sent:
            model_admin.message_user(request, run_not_sent_note(), messages.WARNING)


@admin.action(description="Recompute statistics of the selected products (bulk run)")
def start_bulk_run_for_products(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Product]
) -> None:
    product_ids = list(queryset.order_by().values_list("id", flat=True))
    start_bulk_runs(
        model_admin, request, [{"scope": BulkRun.Scope.PRODUCTS, "product_ids": product_ids}]
    )


@admin.action(description="Recompute statistics of the selected categories (bulk run)")
def start_bulk_run_for_categories(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Category]
) -> None:
    """One run over the union of the selected categories' subtrees (each product once)."""
    start_bulk_runs(
        model_admin, request, [{"scope": BulkRun.Scope.CATEGORY, "categories": list(queryset)}]
    )


product_admin_extensions.append(
    AdminExtension(
        list_columns=[stats_stock_status, stats_completeness],
        list_select_related=["stats", "staleness"],
        list_filters=[StockStatusFilter, CompletenessFilter],
        fieldset=(
            "Statistics",
            [
                stats_stock_status,
                stats_price_range,
                stats_total_stock,
                stats_completeness,
                stats_save_count,
                stats_freshness,
            ],
        ),
        actions=[start_bulk_run_for_products],
        actions_permission=START_BULK_RUN,
    )
)


@admin.display(description="Price ranges (with subcategories, per currency)")
def stats_category_price_ranges(obj: Category) -> str:
    return format_price_ranges(obj.price_ranges.all()) if obj.pk else "-"


category_admin_extensions.append(
    AdminExtension(
        fieldset=("Statistics", [stats_category_price_ranges]),
        actions=[start_bulk_run_for_categories],
        actions_permission=START_BULK_RUN,
    )
)
