"""Catalog > Bulk edits: each job's page (who, what, progress, conflicts), Cancel and Undo.

A bulk edit is its editor's: the list shows one's own (a superuser sees all), another's
answers 404. The page is read-only; the import worker moves its figures and the page
follows them in place (``editors/live_refresh.js``). "Undo bulk edit #N" asks first
(a page of its own: no script), then queues the undo for the import worker
(``catalog.bulkedit.undo.bulk_edit_undo_queue``); the page follows it as it follows the
edit, and then shows what it restored and the values it left because they were changed
since.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from catalog.admin.bulk_edit import may_bulk_edit
from catalog.bulkedit.jobs import bulk_edit_cancel
from catalog.bulkedit.operations import BulkEditError
from catalog.bulkedit.undo import bulk_edit_undo_queue
from catalog.models import BulkEdit, Product
from config.admin import ObjectAction, ObjectActionsMixin, ReadOnlyAdmin
from config.humanize import format_moment, human_duration, quantity


def progress_words(job: BulkEdit) -> str:
    """ "40 of 120 products (33%), about 2 minutes left"."""
    text = f"{job.done:,} of {quantity(job.total, 'product')} ({job.percent}%)"
    if job.status == BulkEdit.Status.QUEUED:
        return f"{text}, waiting to start"
    if job.status == BulkEdit.Status.RUNNING and job.started_at and 0 < job.done < job.total:
        elapsed = (timezone.now() - job.started_at).total_seconds()
        left = elapsed / job.done * (job.total - job.done)
        return f"{text}, about {human_duration(left)} left"
    return text


def _cancel(model_admin: Any, request: HttpRequest, obj: BulkEdit) -> HttpResponse:
    try:
        job = bulk_edit_cancel(job_id=obj.pk)
    except BulkEditError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
    else:
        model_admin.message_user(
            request,
            f"{job} stopped after {quantity(job.done, 'product')}: what it changed stays "
            "changed, and can be undone.",
            messages.SUCCESS,
        )
    return model_admin.change_page_redirect(obj.pk)


def _may(model_admin: Any, request: HttpRequest, obj: Any) -> bool:
    return may_bulk_edit(request)


def _active(model_admin: Any, request: HttpRequest, obj: BulkEdit) -> bool:
    return obj.is_active


def may_undo(job: BulkEdit) -> bool:
    """Once the edit ended, if it changed something: once (again, after an undo failed)."""
    if job.is_active or job.changed == 0:
        return False
    return job.undone_at is None or job.undo_status == BulkEdit.Status.FAILED


@admin.register(BulkEdit)
class BulkEditAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """Bulk edits are started from the product list; here they are watched and undone."""

    list_display = ["__str__", "what", "status", "progress", "who", "started"]
    list_display_links = ["__str__", "what"]
    list_select_related = ["created_by"]
    list_filter = ["status"]
    list_per_page = 50
    readonly_fields = fields = (
        "who",
        "started",
        "selected",
        "what",
        "status",
        "progress",
        "result",
        "conflict_list",
        "undo_state",
    )

    def get_object_actions(self) -> list[ObjectAction]:
        return [ObjectAction("cancel", "Stop", _cancel, _may, _active)]

    def get_urls(self) -> list[URLPattern]:
        undo = path(
            "<path:object_id>/undo/",
            self.admin_site.admin_view(self.undo_view),
            name="catalog_bulkedit_undo",
        )
        return [undo, *super().get_urls()]

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_bulk_edit(request) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BulkEdit]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(created_by_id=request.user.pk)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        job = self.object_or_404(request, object_id)
        context = {
            **(extra_context or {}),
            "title": str(job),
            "undo_url": reverse("admin:catalog_bulkedit_undo", args=[job.pk])
            if may_undo(job) and may_bulk_edit(request)
            else None,
            "undo_conflicts": _linked(job.undo_conflict_lines),
            "following": job.is_active or job.undo_active,
        }
        return super().change_view(request, object_id, form_url, context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self.object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def undo_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET asks "Undo bulk edit #N?"; POST queues the undo and returns to the job's page."""
        if not may_bulk_edit(request):
            raise PermissionDenied
        job = self.object_or_404(request, object_id)
        if request.method == "POST":
            user = request.user if request.user.is_authenticated else None
            try:
                bulk_edit_undo_queue(job_id=job.pk, user=user)
            except BulkEditError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return self.change_page_redirect(job.pk)
            self.message_user(
                request,
                f"The undo of {str(job).lower()} has started: this page follows it.",
                messages.SUCCESS,
            )
            return self.change_page_redirect(job.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": job,
            "title": f"Undo bulk edit #{job.pk}?",
            "may_undo": may_undo(job),
        }
        return TemplateResponse(request, "admin/catalog/bulkedit/undo_confirm.html", context)

    @admin.display(description="Change", ordering="summary")
    def what(self, obj: BulkEdit) -> str:
        return obj.summary

    @admin.display(description="Products")
    def selected(self, obj: BulkEdit) -> str:
        return obj.selection

    @admin.display(description="Started", ordering="created_at")
    def started(self, obj: BulkEdit) -> str:
        return format_moment(obj.created_at)

    @admin.display(description="By")
    def who(self, obj: BulkEdit) -> str:
        # A name, not a link to the user's page: editors may not open users.
        return obj.created_by.get_username() if obj.created_by else "-"

    @admin.display(description="Progress")
    def progress(self, obj: BulkEdit) -> SafeString:
        return format_html(
            '<progress class="bulk-edit-progress" max="100" value="{}" aria-label="{}">{}%'
            "</progress> <span>{}</span>",
            obj.percent,
            f"{obj} progress",
            obj.percent,
            progress_words(obj),
        )

    @admin.display(description="Result")
    def result(self, obj: BulkEdit) -> str:
        if obj.is_active:
            return "Not finished yet."
        text = f"{quantity(obj.changed, 'product')} changed, {quantity(obj.conflicts, 'conflict')}"
        if obj.status == BulkEdit.Status.FAILED:
            text += ". It stopped on an unexpected problem: what it changed stays changed."
        if obj.unsent:
            text += f". {obj.unsent}"
        return text

    @admin.display(description="Conflicts")
    def conflict_list(self, obj: BulkEdit) -> SafeString | str:
        """Products saved by someone after the preview, left as they were."""
        if not obj.conflict_skus:
            return "None"
        links = _linked([(sku, sku) for sku in obj.conflict_skus])
        more = obj.conflicts - len(obj.conflict_skus)
        return format_html(
            "Saved by someone after the preview, left as they were: {}{}.",
            format_html_join(", ", "{}", [(_link(url, text),) for url, text in links]),
            f" and {more:,} more" if more > 0 else "",
        )

    @admin.display(description="Undo")
    def undo_state(self, obj: BulkEdit) -> SafeString | str:
        if obj.undone_at is None:
            return "Not undone."
        who = f" by {obj.undone_by.get_username()}" if obj.undone_by else ""
        asked = f"Asked on {format_moment(obj.undone_at)}{who}"
        if obj.undo_active:
            return format_html(
                '<progress class="bulk-edit-progress" max="100" value="{}" aria-label="{}">'
                "{}%</progress> <span>{}: {} of {} ({}%){}.</span>",
                obj.undo_percent,
                f"{obj} undo progress",
                obj.undo_percent,
                asked,
                f"{obj.undo_done:,}",
                quantity(obj.undo_total, "product"),
                obj.undo_percent,
                ", waiting to start" if obj.undo_status == BulkEdit.Status.QUEUED else "",
            )
        if obj.undo_status == BulkEdit.Status.FAILED:
            return (
                f"{asked}: it stopped on an unexpected problem after "
                f"{quantity(obj.undo_done, 'product')}; what it restored stays restored, "
                "and Undo goes on from there."
            )
        return (
            f"Undone on {format_moment(obj.undone_at)}{who}: "
            f"{quantity(obj.undo_restored, 'product')} restored, "
            f"{quantity(obj.undo_conflicts, 'value')} left as they were because they were "
            "changed since."
        )


def _linked(items: list[tuple[str, str]] | list[list[str]]) -> list[tuple[str, str]]:
    """(SKU, text) -> (the product's page or "", text): a product deleted since has none."""
    skus = {sku for sku, _ in items}
    ids = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
    return [
        (reverse("admin:catalog_product_change", args=[ids[sku]]) if sku in ids else "", text)
        for sku, text in items
    ]


def _link(url: str, text: str) -> SafeString | str:
    return format_html('<a href="{}">{}</a>', url, text) if url else text
