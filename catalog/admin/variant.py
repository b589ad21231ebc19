from django.contrib import admin

from catalog.admin.concurrency import OptimisticAdmin
from catalog.admin.history import HistoryAdmin
from catalog.admin.product import NARROW_TEXT
from catalog.edit_targets import VariantTarget
from catalog.models import Variant


@admin.register(Variant)
class VariantAdmin(OptimisticAdmin, HistoryAdmin):
    """Variants on their own, for their History page (diffs, revert); edited like inlines.

    Checked against the product's version, which every variant change bumps.
    """

    edit_target = VariantTarget()

    list_display = ["sku", "product", "size", "colour", "price", "currency", "stock"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__sku"]
    autocomplete_fields = ["product"]
    fields = ["product", "sku", "size", "colour", "price", "currency", "stock"]
    formfield_overrides = NARROW_TEXT
    list_per_page = 50
    # 300,000 variants: no exact COUNT(*) on every page view (as on products).
    show_full_result_count = False
