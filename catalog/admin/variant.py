from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from catalog.admin.concurrency import OptimisticAdmin
from catalog.admin.currency import VariantForm
from catalog.admin.error_summary import ErrorSummaryAdmin
from catalog.admin.history import HistoryAdmin
from catalog.admin.product import NARROW_TEXT
from catalog.admin.text import ControlCharacterFields
from catalog.edit_targets import VariantTarget
from catalog.models import Variant
from config.admin import ListCheckboxes


@admin.register(Variant)
class VariantAdmin(
    ErrorSummaryAdmin, ListCheckboxes, ControlCharacterFields, OptimisticAdmin, HistoryAdmin
):
    """Variants on their own, for their History page (diffs, revert); edited like inlines.

    Checked against the product's version, which every variant change bumps.
    """

    edit_target = VariantTarget()

    form = VariantForm
    list_display = ["sku", "product", "size", "colour", "price", "currency", "stock"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__sku"]
    autocomplete_fields = ["product"]
    fields = ["product", "sku", "size", "colour", "price", "currency", "stock"]
    formfield_overrides = NARROW_TEXT
    list_per_page = 50
    # 300,000 variants: no exact COUNT(*) on every page view (as on products).
    show_full_result_count = False

    def get_actions(
        self, request: HttpRequest
    ) -> dict[str, tuple[Callable[..., Any], str, str] | None]:
        """No "Delete selected" for whoever may not delete products (editors).

        Editors delete variants to drop a size from *one* product (the inline's Delete?
        box); "select all" then "delete selected" on this list would empty every product
        of the catalog, which is deleting products in all but name.
        """
        actions = super().get_actions(request)
        if not request.user.has_perm("catalog.delete_product"):
            actions.pop("delete_selected", None)
        return actions
