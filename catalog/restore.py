"""Restoring a product's version: the product *and its variants* as they were then.

A version is one of the product's history records. Its variants are those whose latest
record at or before the version's date belongs to the product and is not a deletion
(a product save and its variant rows share one date, so that save's variant records
count). Restoring that version makes the catalog look as it did:

- a variant changed since gets the version's values back;
- a variant deleted since comes back (same id, same SKU), unless its SKU is another
  variant's now: then nothing is restored and the page says why;
- a variant **added since** is removed (its history stays, and restoring a later version
  brings it back): "as it was" means without it. A variant of which no record exists at
  or before the version (seeded without history) is kept as it is: nobody knows whether
  it was there.

The product's own fields go through the revert form (and its version check: merge or
conflict, ``catalog.admin.concurrency``); this module plans and writes the variants, in
the same transaction, with the same history date, user and reason as the product's
record, so History shows the restore as one save.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import capfirst

from catalog.models import Product, Variant
from catalog.rules import product_currency_check

#: The variant fields a restore brings back (every field an editor sets).
VARIANT_FIELDS = ("sku", "size", "colour", "price", "currency", "stock")
#: The product fields the restore page compares (the revert form's fields).
PRODUCT_FIELDS = ("sku", "name", "slug", "description", "category", "status")
#: Dates as editors read them everywhere: "5 Dec 2026, 14:03".
DATE_FORMAT = "j M Y, H:i"


@dataclass(frozen=True)
class FieldChange:
    """One field a restore changes: its name and label, what it is now and will be."""

    name: str
    label: str
    now: Any
    after: Any


@dataclass
class VariantRestore:
    """What the restore does to one variant."""

    sku: str
    #: "changed", "brought back", "removed", or "kept" (nothing recorded at the version).
    action: str
    changes: list[FieldChange] = field(default_factory=list)
    variant_id: int = 0
    #: The version's record of the variant (None for one removed or kept).
    record: Any = None


@dataclass
class RestorePlan:
    """What restoring ``record`` would do now, and why it cannot (``problems``)."""

    record: Any
    product_changes: list[FieldChange]
    variants: list[VariantRestore]
    problems: list[str]

    @property
    def reason(self) -> str:
        return restore_reason(self.record)

    @property
    def variant_changes(self) -> list[VariantRestore]:
        """The variants the restore writes (changed, brought back or removed)."""
        return [
            v for v in self.variants if v.action != "kept" and (v.changes or v.action != "changed")
        ]


def version_label(record: Any) -> str:
    """ "5 Dec 2026, 14:03, by alice" (local time; "system" when no user)."""
    when = date_format(timezone.localtime(record.history_date), DATE_FORMAT)
    user = record.history_user
    return f"{when}, by {user.get_username() if user is not None else 'system'}"


def restore_reason(record: Any) -> str:
    """The History's change reason of a restore (a CharField of 100 characters)."""
    return f"Restored the version of {version_label(record)}"[:100]


def variants_at(*, product_id: int, at: datetime) -> dict[int, Any]:
    """The product's variants at ``at``: variant id -> its latest record then."""
    ids = set(
        Variant.history.filter(product_id=product_id, history_date__lte=at).values_list(
            "id", flat=True
        )
    )
    latest: dict[int, Any] = {}
    for rec in Variant.history.filter(id__in=ids, history_date__lte=at).order_by(
        "history_date", "history_id"
    ):
        latest[rec.id] = rec
    return {
        vid: rec
        for vid, rec in latest.items()
        if rec.history_type != "-" and rec.product_id == product_id
    }


def _label(model: type[Model], name: str) -> str:
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, Field)  # the fields compared are concrete fields
    return capfirst(str(model_field.verbose_name))


def _product_changes(product: Product, record: Any) -> list[FieldChange]:
    changes = []
    for name in PRODUCT_FIELDS:
        attname = "category_id" if name == "category" else name
        now, after = getattr(product, attname), getattr(record, attname)
        if now != after:
            if name == "category":
                now, after = product.category, record.category
            elif name == "status":
                labels = dict(Product.Status.choices)
                now, after = labels.get(now, now), labels.get(after, after)
            changes.append(FieldChange(name, _label(Product, name), now, after))
    return changes


def _variant_changes(variant: Variant, record: Any) -> list[FieldChange]:
    return [
        FieldChange(name, _label(Variant, name), getattr(variant, name), getattr(record, name))
        for name in VARIANT_FIELDS
        if getattr(variant, name) != getattr(record, name)
    ]


def restore_plan(*, product: Product, record: Any) -> RestorePlan:
    """What restoring ``record`` (one of ``product``'s history records) would do now."""
    then = variants_at(product_id=product.pk, at=record.history_date)
    current = {v.pk: v for v in Variant.objects.filter(product=product)}
    moved = {v.pk: v for v in Variant.objects.filter(pk__in=set(then) - set(current))}
    added_since = _added_after(set(current) - set(then), record.history_date)
    plan: list[VariantRestore] = []
    problems: list[str] = []
    for vid, rec in then.items():
        variant = current.get(vid) or moved.get(vid)
        if variant is None:
            taken = Variant.objects.filter(sku=rec.sku).exclude(pk=vid).first()
            if taken is not None:
                problems.append(
                    f"{rec.sku} cannot come back: its SKU is now variant {taken.sku} of "
                    f"product {taken.product.sku}. Change that SKU first."
                )
            plan.append(VariantRestore(rec.sku, "brought back", [], vid, rec))
            continue
        changes = _variant_changes(variant, rec)
        if variant.product_id != product.pk:
            changes.append(FieldChange("product", "Product", variant.product, product))
        plan.append(VariantRestore(rec.sku, "changed", changes, vid, rec))
    for vid, variant in current.items():
        if vid not in then:
            action = "removed" if vid in added_since else "kept"
            plan.append(VariantRestore(variant.sku, action, [], vid, None))
    try:
        product_currency_check(currencies=[rec.currency for rec in then.values()])
    except ValidationError as error:
        problems.extend(error.messages)
    plan.sort(key=lambda v: v.sku)
    return RestorePlan(record, _product_changes(product, record), plan, problems)


def _added_after(variant_ids: set[int], at: datetime) -> set[int]:
    """Of ``variant_ids``, those created after ``at`` (their first record a creation)."""
    first: dict[int, Any] = {}
    for vid, kind, date in (
        Variant.history.filter(id__in=variant_ids)
        .order_by("history_date", "history_id")
        .values_list("id", "history_type", "history_date")
    ):
        first.setdefault(vid, (kind, date))
    return {vid for vid, (kind, date) in first.items() if kind == "+" and date > at}


def variants_fingerprint(*, product_id: int) -> str:
    """A digest of the product's variants as they are: the restore page carries the one
    it showed, and a restore whose variants changed meanwhile is shown again first."""
    rows = Variant.objects.filter(product_id=product_id).order_by("pk")
    text = "|".join(
        ",".join(str(v) for v in (row.pk, *(getattr(row, n) for n in VARIANT_FIELDS)))
        for row in rows
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@transaction.atomic
def product_variants_restore(
    *,
    product: Product,
    plan: RestorePlan,
    user: AbstractBaseUser | None,
    when: datetime,
) -> None:
    """Write ``plan``'s variants: removed ones first (their SKUs may come back), then
    the changed and brought-back ones, each recorded with ``when``, ``user`` and the
    plan's reason (the product's own record of the restore has the same)."""

    def stamp(variant: Variant) -> Variant:
        variant._history_user = user  # type: ignore[attr-defined]
        variant._history_date = when  # type: ignore[attr-defined]
        variant._change_reason = plan.reason  # type: ignore[attr-defined]
        return variant

    for item in plan.variant_changes:
        if item.action == "removed":
            stamp(Variant.objects.get(pk=item.variant_id)).delete()
    for item in plan.variant_changes:
        if item.action not in ("changed", "brought back"):
            continue
        rec = item.record
        variant = Variant.objects.filter(pk=item.variant_id).first() or Variant(pk=item.variant_id)
        variant.product = product
        for name in VARIANT_FIELDS:
            setattr(variant, name, getattr(rec, name))
        stamp(variant).save()
