from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from catalog.admin import CategoryAdmin, ProductAdmin
from catalog.models import Category, Product
from stats.bulk import BulkRunError, bulk_run_cancel, bulk_run_progress, bulk_run_start
from stats.formatting import format_duration, format_scope
from stats.models import (
    BulkChunk,
    BulkRun,
    CategoryStats,
    OpsDashboard,
    ProductStaleness,
    ProductStats,
)
from stats.services import product_stats_mark_stale
from stats.tasks import publish_bulk_chunks, queue_product_stats


class ObjectActionsMixin:
    """POST-only buttons on a change page, each a view at ``<object id>/<slug>/``.

    ``object_actions`` maps a slug to a view method; the URL is named
    ``<app>_<model>_<slug with underscores>``, and the change page's template gets it as
    ``<slug with underscores>_url`` when ``object_action_shown`` says so (else None).
    """

    object_actions: dict[str, str] = {}

    def object_action_shown(self, request: HttpRequest, slug: str, obj: object) -> bool:
        raise NotImplementedError

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: object = None,
    ) -> TemplateResponse:
        for slug in self.object_actions:
            shown = obj is not None and self.object_action_shown(request, slug, obj)
            url = self.object_action_url(slug, obj.pk) if shown else None
            context[f"{slug.replace('-', '_')}_url"] = url
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _object_action_name(self, slug: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{slug.replace('-', '_')}"

    def get_urls(self):
        actions = [
            path(
                f"<path:object_id>/{slug}/",
                self.admin_site.admin_view(getattr(self, view)),
                name=self._object_action_name(slug),
            )
            for slug, view in self.object_actions.items()
        ]
        # Before the defaults: their "<path:object_id>/" catch-all would match them too.
        return [*actions, *super().get_urls()]

    def object_action_url(self, slug: str, object_id: int) -> str:
        return reverse(
            f"admin:{self._object_action_name(slug)}",
            args=[object_id],
            current_app=self.admin_site.name,
        )

    def change_page_redirect(self, object_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
        )


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


class BulkRunActionsMixin:
    """Admin actions that start bulk runs, for users with ``stats.add_bulkrun`` only.

    Starting a run is cheap (chunks of ids) but its work is hours of the one rate-limited
    queue, so it is a permission of its own rather than part of editing the catalog.
    """

    def has_start_bulk_run_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("stats.add_bulkrun")

    def start_bulk_runs(self, request: HttpRequest, scopes: list[dict]) -> None:
        """Start one run per scope; its chunks are published once the run is committed."""
        for scope in scopes:
            try:
                run = bulk_run_start(
                    trigger=BulkRun.Trigger.EDITOR, started_by=request.user, **scope
                )
            except BulkRunError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            # robust: a broker outage must not turn a committed run into a 500; the run's
            # unpublished chunks are picked up by the periodic resume task.
            transaction.on_commit(partial(publish_bulk_chunks, run_id=run.pk), robust=True)
            url = reverse(
                "admin:stats_bulkrun_change", args=[run.pk], current_app=self.admin_site.name
            )
            self.message_user(
                request,
                format_html(
                    'Bulk run <a href="{}">{}</a> started: {}, {} products in {} chunks, ETA {}.',
                    url,
                    run.pk,
                    format_scope(run),
                    f"{run.products_total:,}",
                    f"{run.chunks_total:,}",
                    format_duration(bulk_run_progress(run).eta_seconds),
                ),
                messages.SUCCESS,
            )


class ProductWithStatsAdmin(ObjectActionsMixin, BulkRunActionsMixin, ProductAdmin):
    actions = ["start_bulk_run_for_products"]
    object_actions = {"recompute-stats": "recompute_stats_view"}
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

    def object_action_shown(self, request: HttpRequest, slug: str, obj: Product) -> bool:
        return self.has_change_permission(request, obj)

    def recompute_stats_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Queue one product on the batched path: the editor never waits for a recompute.

        POST only (a prefetched or crawled link must not queue work). The mark is written
        first, in this request's transaction, so the sweep recomputes the product even if
        the message is lost; it does not count as an editor save. The message goes out
        after commit, ``robust`` so a broker outage is logged instead of becoming a 500.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        product = self.get_object(request, unquote(object_id))
        if product is None:
            raise Http404(f"No product with ID {object_id!r}.")
        if not self.has_change_permission(request, product):
            raise PermissionDenied
        product_id = product.pk

        def queue_recompute() -> None:
            queue_product_stats(product_id=product_id)

        with transaction.atomic():
            product_stats_mark_stale(product_ids=[product_id], count_save=False)
            transaction.on_commit(queue_recompute, robust=True)
        self.message_user(
            request,
            f"Statistics of {product.sku} queued; they update within "
            f"{settings.STATS_BATCH_FLUSH_INTERVAL} seconds.",
            messages.SUCCESS,
        )
        return self.change_page_redirect(product_id)

    @admin.action(
        description="Recompute statistics of the selected products (bulk run)",
        permissions=["start_bulk_run"],
    )
    def start_bulk_run_for_products(
        self, request: HttpRequest, queryset: QuerySet[Product]
    ) -> None:
        product_ids = list(queryset.order_by().values_list("id", flat=True))
        self.start_bulk_runs(
            request, [{"scope": BulkRun.Scope.PRODUCTS, "product_ids": product_ids}]
        )

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


class CategoryWithStatsAdmin(BulkRunActionsMixin, CategoryAdmin):
    """The catalog's category admin plus an action to recompute whole subtrees."""

    actions = ["start_bulk_run_for_categories"]

    @admin.action(
        description="Recompute statistics of the selected categories (bulk run)",
        permissions=["start_bulk_run"],
    )
    def start_bulk_run_for_categories(
        self, request: HttpRequest, queryset: QuerySet[Category]
    ) -> None:
        self.start_bulk_runs(
            request, [{"scope": BulkRun.Scope.CATEGORY, "category": c} for c in queryset]
        )


admin.site.unregister(Category)
admin.site.register(Category, CategoryWithStatsAdmin)


# --- Bulk recompute runs ------------------------------------------------------------------

#: Chunk rows shown on a run's page: a whole-catalog run has thousands.
CHUNKS_SHOWN = 50

_PROGRESS_COLOURS = {
    BulkRun.Status.FAILED: "#c0392b",
    BulkRun.Status.CANCELLED: "#7f8c8d",
}


def _when(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}" if value else "-"


@admin.register(BulkRun)
class BulkRunAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """Runs are started by actions, the command and the schedule; here they are watched.

    Read-only: the run's figures are written by the workers. The one thing to do on a
    run is cancel it, a separate permission (``stats.cancel_bulkrun``) with its own URL.
    """

    object_actions = {"cancel": "cancel_view"}

    list_display = [
        "id",
        "trigger",
        "scope_text",
        "status",
        "progress",
        "products_done",
        "products_failed",
        "eta",
        "started_by",
        "created_at",
    ]
    list_display_links = ["id", "scope_text"]
    list_select_related = ["category", "started_by"]
    list_filter = ["status", "trigger"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["scope_text", "trigger", "status", "started_by"]}),
        (
            "Progress",
            {
                "fields": [
                    "progress",
                    "chunk_counts",
                    "products_summary",
                    "eta",
                    "chunk_size",
                    "rate_limit",
                    "created_at",
                    "started_at",
                    "finished_at",
                ]
            },
        ),
        ("Chunks", {"fields": ["chunk_table"]}),
    ]
    readonly_fields = [
        "scope_text",
        "progress",
        "chunk_counts",
        "products_summary",
        "eta",
        "created_at",
        "chunk_table",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BulkRun]:
        return super().get_queryset(request).select_related("category", "started_by")

    def has_cancel_permission(self, request: HttpRequest, obj: BulkRun | None = None) -> bool:
        return request.user.has_perm("stats.cancel_bulkrun")

    def object_action_shown(self, request: HttpRequest, slug: str, obj: BulkRun) -> bool:
        return obj.is_active and self.has_cancel_permission(request, obj)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST only: a link a crawler or a prefetching browser follows must not cancel."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404(f"No bulk run with ID {object_id!r}.")
        try:
            run = bulk_run_cancel(run_id=run.pk)
        except BulkRunError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Bulk run {run.pk} cancelled: {run.chunks_cancelled:,} chunks will not be "
                f"processed; a chunk already running finishes.",
                messages.SUCCESS,
            )
        return self.change_page_redirect(run.pk)

    @admin.display(description="Scope")
    def scope_text(self, obj: BulkRun) -> str:
        return format_scope(obj).capitalize()

    @admin.display(description="Progress")
    def progress(self, obj: BulkRun) -> SafeString:
        progress = bulk_run_progress(obj)
        finished = obj.chunks_total - progress.chunks_left
        return format_html(
            '<div title="{}%" style="display:inline-block;vertical-align:middle;width:120px;'
            'height:10px;border:1px solid #aaa;border-radius:3px;background:#eee;overflow:hidden">'
            '<div style="width:{}%;height:100%;background:{}"></div></div> '
            "<span>{}% &middot; {}/{} chunks</span>",
            progress.percent,
            progress.percent,
            _PROGRESS_COLOURS.get(obj.status, "#2e86c1"),
            progress.percent,
            f"{finished:,}",
            f"{obj.chunks_total:,}",
        )

    @admin.display(description="ETA")
    def eta(self, obj: BulkRun) -> str:
        return format_duration(bulk_run_progress(obj).eta_seconds)

    @admin.display(description="Products")
    def products_summary(self, obj: BulkRun) -> str:
        return (
            f"{obj.products_done:,} done, {obj.products_failed:,} failed of {obj.products_total:,}"
        )

    @admin.display(description="Chunks")
    def chunk_counts(self, obj: BulkRun) -> str:
        """Counted by status in one query: the run's counters do not tell pending from running."""
        counts = dict(
            BulkChunk.objects.filter(run=obj)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
        )
        shown = [
            f"{counts[status]:,} {label.lower()}"
            for status, label in BulkChunk.Status.choices
            if counts.get(status)
        ]
        return ", ".join(shown) or "none"

    @admin.display(description="Chunks shown")
    def chunk_table(self, obj: BulkRun) -> str:
        """A bounded table, one query: troubled chunks first, then the latest started.

        Troubled means an error was recorded (failed, or pending a retry): the rows worth
        reading. Product ID lists are not loaded; a chunk holds up to a thousand.
        """
        chunks = (
            BulkChunk.objects.filter(run=obj)
            .defer("product_ids")
            .order_by(
                Case(
                    When(~Q(last_error=""), then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
                F("started_at").desc(nulls_last=True),
                "number",
            )[:CHUNKS_SHOWN]
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    chunk.number,
                    chunk.get_status_display(),
                    chunk.attempts,
                    chunk.worker or "-",
                    _when(chunk.started_at),
                    _when(chunk.finished_at),
                    chunk.products_done,
                    chunk.products_failed,
                    chunk.last_error or "-",
                )
                for chunk in chunks
            ),
        )
        if not rows:
            return "No chunks: the run had nothing to recompute."
        shown = (
            f"All {obj.chunks_total:,} chunks"
            if obj.chunks_total <= CHUNKS_SHOWN
            else f"{CHUNKS_SHOWN} of {obj.chunks_total:,} chunks"
        )
        return format_html(
            "<p>{}: those with an error first, then the latest started.</p>"
            "<table><thead><tr><th>#</th><th>Status</th><th>Attempts</th>"
            "<th>Worker</th><th>Started</th><th>Finished</th><th>Products done</th>"
            "<th>Failed</th><th>Last error</th></tr></thead><tbody>{}</tbody></table>",
            shown,
            rows,
        )


# --- Queues & workers (ops) ------------------------------------------------------------------


@admin.register(OpsDashboard)
class OpsDashboardAdmin(admin.ModelAdmin):
    """The "Queues & workers" page: the monitoring snapshot, live, and a 24-hour chart."""

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("stats.view_ops")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        from django.template.response import TemplateResponse
        from django.utils import timezone
        from django.utils.safestring import mark_safe

        from stats.charts import line_chart_svg
        from stats.formatting import format_duration
        from stats.monitoring import monitoring_samples_series
        from stats.probes import take_snapshot

        if not self.has_view_permission(request):
            raise PermissionDenied
        snapshot = take_snapshot()
        run = snapshot.bulk_run or {}
        context = {
            **self.admin_site.each_context(request),
            "snapshot": snapshot,
            "queues": list(snapshot.queues.values()),
            "eta": format_duration(run.get("eta_seconds")),
            "oldest": format_duration(snapshot.oldest_stale_seconds),
            "title": "Queues & workers",
        }
        if request.GET.get("partial"):
            return TemplateResponse(request, "admin/stats/ops_live.html", context)
        now = timezone.now()
        series = monitoring_samples_series(hours=24)
        has_samples = any(series.values())
        context["chart"] = (
            mark_safe(line_chart_svg(series, start=now - timedelta(hours=24), end=now))
            if has_samples
            else ""
        )
        return TemplateResponse(request, "admin/stats/ops.html", context)
