"""The restore page ("Restore this version") around django-simple-history's revert form.

The page says which version it is (its own date and author, not today's figures), and
what restoring it changes, field by field, now -> after restore, for the product and
each of its variants (``catalog.restore`` plans and writes the variants). The product's
fields still go through the revert form and its version check (``HistoryAdmin`` locks
and merges as for any save); the variants' state the page showed travels with the form
as a digest, so a restore whose variants someone changed meanwhile is shown again
instead of overwriting a change its editor never saw.
"""

from typing import Any

from django.http import HttpRequest

from catalog.admin.history_diff import is_prose, text_diff_html
from catalog.models import Product, Variant
from catalog.restore import (
    FieldChange,
    RestorePlan,
    restore_plan,
    restore_reason,
    variants_fingerprint,
    version_label,
)

#: The hidden field with the digest of the variants the page showed.
VARIANTS_SEEN_FIELD = "_restore_variants_seen"

VARIANTS_CHANGED = (
    "The variants of this product were changed since you opened this page: nothing was "
    "restored. Check below what restoring does now, then press Restore this version again."
)


def _shown(model: type[Product] | type[Variant], change: FieldChange) -> dict[str, Any]:
    entry: dict[str, Any] = {"label": change.label, "now": change.now, "after": change.after}
    field = model._meta.get_field(change.name) if change.name != "product" else None
    if field is not None and is_prose(field) and isinstance(change.now, str):
        entry["diff"] = text_diff_html(change.now, str(change.after))
    return entry


def restore_context(*, record: Any, plan: RestorePlan | None) -> dict[str, Any]:
    """What the restore page shows above the form: the version and the plan's changes."""
    context: dict[str, Any] = {
        "title": f"Restore the version of {version_label(record)}",
        "restore_version": version_label(record),
        "restore_reason": restore_reason(record),
        "restore_plan": None,
    }
    if plan is None:
        return context
    context["restore_plan"] = {
        "product": [_shown(Product, c) for c in plan.product_changes],
        "variants": [
            {
                "sku": v.sku,
                "action": v.action,
                "changes": [_shown(Variant, c) for c in v.changes],
            }
            for v in plan.variants
            if v.action != "changed" or v.changes
        ],
        "unchanged_variants": [
            v.sku for v in plan.variants if v.action == "changed" and not v.changes
        ],
        "problems": plan.problems,
        "seen_field": VARIANTS_SEEN_FIELD,
        "seen": variants_fingerprint(product_id=plan.record.id),
    }
    return context


def product_restore_plan(*, record: Any) -> RestorePlan:
    product = Product.objects.select_related("category").get(pk=record.id)
    return restore_plan(product=product, record=record)


def variants_changed_since_page(request: HttpRequest, *, product_id: int) -> bool:
    """Whether the variants differ from those the page showed (a page without the
    digest, from before this check, is taken as showing them as they are)."""
    seen = request.POST.get(VARIANTS_SEEN_FIELD)
    return bool(seen) and seen != variants_fingerprint(product_id=product_id)


def restored_message(plan: RestorePlan) -> str:
    counts = {"changed": 0, "brought back": 0, "removed": 0}
    for item in plan.variant_changes:
        counts[item.action] = counts.get(item.action, 0) + 1
    said = [f"{n} variant{'s' if n != 1 else ''} {action}" for action, n in counts.items() if n]
    if not said:
        return f"{plan.reason}: the variants were already as they were then."
    return f"{plan.reason}: {', '.join(said)}."
