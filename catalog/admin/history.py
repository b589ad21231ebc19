"""Edit history pages (django-simple-history): bursts with field diffs and a guarded revert."""

from typing import Any

from django import http
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import Model
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper, ObjDiffDisplay

from catalog.admin.history_diff import changes_context
from catalog.admin.ids import url_pk
from catalog.admin.restore import (
    VARIANTS_CHANGED,
    product_restore_plan,
    restore_context,
    restored_message,
    variants_changed_since_page,
)
from catalog.history import SYSTEM_AUTHOR, BurstRow, SaveEntry, VariantDelta, history_rows
from catalog.models import Product, Variant
from catalog.restore import RestorePlan, product_variants_restore, restore_reason
from config.humanize import human_duration

#: The History page, in the editor's words (simple-history's says "revert ... this object").
HISTORY_TEMPLATE = "admin/catalog/object_history.html"


class _FullValues(ObjDiffDisplay):
    """Never shortens: simple-history cuts long values to "Essen[183 chars]rtable".

    Registry: config.upstream "django-simple-history diff display"."""

    def common_shorten_repr(self, *args: Any) -> tuple[str, ...]:
        return tuple(str(arg) for arg in args)


class _ChoiceLabels(HistoricalRecordContextHelper):
    """Diffs show a choice's label ("Draft -> Published"), as the change form does, and
    whole values (the template wraps them), never a shortened middle.
    Registry: config.upstream "django-simple-history diff display"."""

    def prepare_delta_change_value(self, change: ModelChange, value: object) -> object:
        field = self.model._meta.get_field(change.field)
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)

    def get_obj_diff_display(self) -> ObjDiffDisplay:
        return _FullValues()


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin (History page with field diffs, revert), revert guarded.

    simple-history 3.13 hides the Revert button from users who may only view, but its
    form view saves any POST after checking *view* permission; a revert is a change,
    so a POST needs change permission here (editors have it for products and variants).

    The History page is ours: one row per same-editor burst (``catalog.history``), its
    whole change, and a <details> with each save of the burst and its own diff.
    """

    object_history_list_template = "admin/catalog/history_list.html"

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        """One version's page (what restoring it changes, the button); a POST restores it.

        Checked before anything is read or locked: ids that name nothing are a 404, a
        deleted object's version page too (restoring cannot bring an object back: its
        variants and statistics are gone; its History page still shows every version),
        and a POST needs change permission. A product's restore also restores its
        variants (``catalog.restore``), in the same transaction, under the same lock.
        """
        pk = url_pk(self.model, unquote(object_id))
        version_pk = url_pk(self.model.history.model, version_id)
        if not self.model._default_manager.filter(pk=pk).exists():
            raise http.Http404(f"No {self.opts.verbose_name} with ID {pk}: it was deleted.")
        record = get_object_or_404(
            self.model.history.model, history_id=version_pk, **{self.opts.pk.attname: pk}
        )
        request._restore_page = True  # type: ignore[attr-defined]  # today's figures hidden
        is_product = self.model is Product
        if request.method != "POST":
            plan = product_restore_plan(record=record) if is_product else None
            context = {**restore_context(record=record, plan=plan), **(extra_context or {})}
            if self.revert_disabled(request):  # may only look: no "Restore" in the title
                context["title"] = f"The version of {context['restore_version']}"
            return super().history_form_view(request, str(pk), str(version_pk), context)
        if not self.has_change_permission(request):
            raise PermissionDenied
        with transaction.atomic(using=router.db_for_write(self.model)):
            self.history_revert_check(request, pk)
            plan = product_restore_plan(record=record) if is_product else None
            if plan is not None and variants_changed_since_page(request, product_id=pk):
                messages.warning(request, VARIANTS_CHANGED)
                return http.HttpResponseRedirect(request.get_full_path())
            if plan is not None and plan.problems:
                for problem in plan.problems:
                    messages.error(request, f"Nothing was restored: {problem}")
                return http.HttpResponseRedirect(request.get_full_path())
            request._restoring = (restore_reason(record), plan)  # type: ignore[attr-defined]
            context = {**restore_context(record=record, plan=plan), **(extra_context or {})}
            return super().history_form_view(request, str(pk), str(version_pk), context)

    def history_revert_check(self, request: HttpRequest, pk: Any) -> None:
        """Runs in the revert's transaction before its save: an admin that checks the
        version a form was opened at (``OptimisticAdmin``) does it here."""

    # Registry: config.upstream "django-simple-history diff display".
    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: object
    ) -> HistoricalRecordContextHelper:
        return _ChoiceLabels(self.model, historical_record)

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        # One time for the whole request: the product's record and its inline variants'
        # records share it, which is how the product's history finds its variant changes.
        # Registry: config.upstream "django-simple-history record attributes".
        obj._history_date = timezone.now()  # type: ignore[attr-defined]
        restoring: tuple[str, RestorePlan | None] | None = getattr(request, "_restoring", None)
        if restoring is not None:
            obj._change_reason = restoring[0]  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)
        if restoring is not None and isinstance(obj, Product) and restoring[1] is not None:
            product_variants_restore(
                product=obj,
                plan=restoring[1],
                user=request.user,  # type: ignore[arg-type]
                when=obj._history_date,  # type: ignore[attr-defined]
            )
            messages.success(request, restored_message(restoring[1]))

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseFormSet, change: bool
    ) -> None:
        stamp = getattr(form.instance, "_history_date", None)
        if stamp is not None:
            for inline_form in formset.forms:
                inline_form.instance._history_date = stamp
        super().save_formset(request, form, formset, change)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """simple-history's page, read through ``catalog.history.history_rows``."""
        request.current_app = self.admin_site.name
        opts = self.model._meta
        pk = url_pk(self.model, unquote(object_id))  # "abc" names nothing: 404
        records = self.model.history.filter(**{opts.pk.attname: pk})
        deleted = False
        try:
            obj = self.get_queryset(request).get(**{opts.pk.attname: pk})
        except self.model.DoesNotExist:
            latest = records.order_by("-history_date", "-history_id").first()
            if latest is None:
                raise http.Http404 from None
            obj, deleted = latest.instance, True
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        page, rows = history_rows(
            records=records,
            window_seconds=settings.EDITORS_HISTORY_FOLD_SECONDS,
            page_number=request.GET.get(PAGE_VAR),
            per_page=self.history_list_per_page,
            product_id=obj.pk if self.model is Product else None,
        )
        user_type = self.content_type_model_cls.objects.get_for_model(get_user_model())
        context = {
            "title": self.history_view_title(request, obj),
            "object_history_list_template": self.object_history_list_template,
            "page_obj": page,
            "rows": [self._row_context(request, row) for row in rows],
            "page_range": page.paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "pagination_required": page.paginator.num_pages > 1,
            "module_name": capfirst(force_str(opts.verbose_name_plural)),
            "object": obj,
            "app_label": opts.app_label,
            "opts": opts,
            "admin_user_view": f"admin:{user_type.app_label}_{user_type.model}_change",
            "revert_disabled": self.revert_disabled(request, obj),
            # Its versions are listed, not linked: a deleted object's version page is a 404.
            "object_deleted": deleted,
            "system_author": SYSTEM_AUTHOR,
            # "" when saves are not folded (0): the page then says nothing about bursts.
            "burst_window": human_duration(settings.EDITORS_HISTORY_FOLD_SECONDS)
            if settings.EDITORS_HISTORY_FOLD_SECONDS > 0
            else "",
            **self.admin_site.each_context(request),
            **(extra_context or {}),
        }
        return self.render_history_view(request, HISTORY_TEMPLATE, context)

    def _format(self, model: type[Model], changes: list[ModelChange]) -> list[dict[str, Any]]:
        return changes_context(_ChoiceLabels(model, None), model, changes)

    def _variants(self, deltas: list[VariantDelta]) -> list[dict[str, Any]]:
        return [
            {"sku": d.sku, "kind": d.kind, "changes": self._format(Variant, d.changes)}
            for d in deltas
        ]

    def _save_context(self, save: SaveEntry) -> dict[str, Any]:
        kinds = {"+": "Created", "~": "Changed", "-": "Deleted"}
        return {
            "record": save.record,
            "date": save.date,
            "user": save.user,
            "reason": save.reason or "",
            "kind": save.kind,
            "kind_label": "First recorded version" if save.first_recorded else kinds[save.kind],
            "first_recorded": save.first_recorded,
            "variant_skus": save.variant_skus,
            "changes": self._format(self.model, save.changes),
            "variants": self._variants(save.variants),
        }

    def _row_context(self, request: HttpRequest, row: BurstRow) -> dict[str, Any]:
        return {
            "last": self._save_context(row.last),
            "record": row.record,
            "first_date": row.first_date,
            "is_burst": row.is_burst,
            "first_recorded": row.first_recorded,
            "changes": self._format(self.model, row.changes),
            "variants": self._variants(row.variants),
            "saves": [self._save_context(save) for save in row.saves],
        }
