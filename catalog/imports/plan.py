"""The file's products against the catalog: new, changed (field by field), unchanged,
conflicting, or refused because the catalog says otherwise.

Read in chunks of SKUs (a few queries per thousand products, whatever the file's size).
Under ``lock=True`` (the real import, inside its transaction) the existing products are
read with ``SELECT ... FOR UPDATE``: no editor's save can slip between the version check
and the write, so a conflict is never applied unnoticed.

What the plan keeps for the report is bounded whatever the file: problems go to the
import's ``ErrorLog`` (the planning stops once it is full), conflicts are kept up to the
log's per-kind number and counted, and changes are listed for the first ``SHOWN_PRODUCTS``
changed products, at most ``SHOWN_FIELD_CHANGES`` fields in all, each value cut to
``CHANGE_CHARS`` (a description can hold 20,000 characters).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from catalog.imports import layout
from catalog.imports.errors import ErrorLog, quoted
from catalog.imports.fields import unique_message
from catalog.imports.rows import ProductSpec, VariantSpec
from catalog.models import Product, Variant

CHUNK = 1000
#: Changed products listed one by one (counts are always whole), and fields in all.
SHOWN_PRODUCTS = 200
SHOWN_FIELD_CHANGES = 1000
#: Characters of a value a change shows.
CHANGE_CHARS = 80

_PRODUCT_FIELDS = ("name", "slug", "status", "category_id", "description")
_VARIANT_FIELDS = ("size", "colour", "price", "currency", "stock")


@dataclass(frozen=True)
class FieldChange:
    #: ``name``, ``category``, or ``variant SKU-1 price`` / ``variant SKU-1``.
    field: str
    old: str
    new: str


@dataclass
class ProductChange:
    sku: str
    line: int
    changes: list[FieldChange]


@dataclass(frozen=True)
class Conflict:
    sku: str
    line: int
    file_version: int
    current_version: int

    def __str__(self) -> str:
        return (
            f"line {self.line}, column {layout.VERSION}: {self.sku} was changed since the "
            f"export (version {self.file_version} in the file, {self.current_version} now): "
            "export it again and redo the change."
        )


@dataclass
class Update:
    """An existing product the import changes, with what the catalog holds now."""

    spec: ProductSpec
    product_id: int
    #: Variant SKU -> id of the product's variants in the catalog.
    variant_ids: dict[str, int]
    #: Variants the file changes (by SKU), adds (not in ``variant_ids``), and removes (ids).
    changed_variants: list[VariantSpec]
    removed_variant_ids: list[int]
    product_changed: bool


@dataclass
class Plan:
    errors: ErrorLog
    new: list[ProductSpec] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    #: The first changed products, field by field (see the module docstring).
    changes: list[ProductChange] = field(default_factory=list)
    unchanged: int = 0
    #: The first conflicts, and how many there are.
    conflicts: list[Conflict] = field(default_factory=list)
    conflict_count: int = 0
    #: The last line compared when the planning stopped (the log full); else 0.
    stopped_at: int = 0
    shown_field_changes: int = 0

    def add_conflict(self, conflict: Conflict) -> None:
        self.conflict_count += 1
        if len(self.conflicts) < self.errors.keep_per_kind:
            self.conflicts.append(conflict)

    def add_change(self, change: ProductChange) -> None:
        room = SHOWN_FIELD_CHANGES - self.shown_field_changes
        if len(self.changes) >= SHOWN_PRODUCTS or room <= 0:
            return
        change.changes = change.changes[:room]
        self.shown_field_changes += len(change.changes)
        self.changes.append(change)


def _chunks(items: list[ProductSpec]) -> Iterator[list[ProductSpec]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def plan_import(
    products: list[ProductSpec],
    *,
    lock: bool,
    paths: dict[int, str],
    errors: ErrorLog,
    on_progress: Callable[[int], None] | None = None,
) -> Plan:
    """Compare every product of the file with the catalog; ``paths``: category id -> path.

    Problems found are added to ``errors`` (the rows' log, so the bounds are the file's).
    """
    plan = Plan(errors=errors)
    done = 0
    for chunk in _chunks(products):
        if errors.full:
            plan.stopped_at = chunk[0].line
            break
        _plan_chunk(chunk, plan, lock=lock, paths=paths)
        done += len(chunk)
        if on_progress:
            on_progress(done)
    plan.conflicts.sort(key=lambda c: c.line)
    return plan


def _plan_chunk(chunk: list[ProductSpec], plan: Plan, *, lock: bool, paths: dict[int, str]) -> None:
    skus = [spec.sku for spec in chunk]
    products = Product.objects.filter(sku__in=skus).order_by("pk")
    if lock:
        products = products.select_for_update()
    current = {row["sku"]: row for row in products.values("id", "sku", "version", *_PRODUCT_FIELDS)}
    by_id = {row["id"]: row["sku"] for row in current.values()}
    variants: dict[str, dict[str, dict[str, Any]]] = {sku: {} for sku in current}
    for row in Variant.objects.filter(product_id__in=by_id).values(
        "id", "product_id", "sku", *_VARIANT_FIELDS
    ):
        variants[by_id[row["product_id"]]][row["sku"]] = row
    # Variant SKUs and slugs are unique across the catalog: taken by another product?
    variant_skus = [v.sku for spec in chunk for v in spec.variants]
    owners = dict(Variant.objects.filter(sku__in=variant_skus).values_list("sku", "product__sku"))
    slug_owners = dict(
        Product.objects.filter(slug__in=[spec.slug for spec in chunk]).values_list("slug", "sku")
    )
    for spec in chunk:
        before = plan.errors.total
        errors = plan.errors.about(spec.sku, spec.name)
        for v in spec.variants:
            if owners.get(v.sku, spec.sku) != spec.sku:
                errors.add(
                    v.line,
                    layout.VARIANT_SKU,
                    "unique",
                    f"{quoted(v.sku)}: {unique_message(Variant, 'sku').rstrip('.')} "
                    f"(a variant of {owners[v.sku]}).",
                )
        if slug_owners.get(spec.slug, spec.sku) != spec.sku:
            errors.add(
                spec.line,
                layout.SLUG,
                "unique",
                f"{quoted(spec.slug)}: {unique_message(Product, 'slug').rstrip('.')} "
                f"({slug_owners[spec.slug]}'s).",
            )
        if plan.errors.total > before:
            continue
        row = current.get(spec.sku)
        if row is None:
            plan.new.append(spec)
            continue
        _compare(spec, row, variants[spec.sku], plan, paths)


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= CHANGE_CHARS else text[: CHANGE_CHARS - 3] + "..."


def _compare(
    spec: ProductSpec,
    row: dict[str, Any],
    variants: dict[str, dict[str, Any]],
    plan: Plan,
    paths: dict[int, str],
) -> None:
    changes: list[FieldChange] = []
    for name in _PRODUCT_FIELDS:
        old, new = row[name], getattr(spec, name)
        if old != new:
            if name == "category_id":
                changes.append(
                    FieldChange(
                        "category", _text(paths.get(old, "") if old else ""), _text(spec.category)
                    )
                )
            else:
                changes.append(FieldChange(name, _text(old), _text(new)))
    product_changed = bool(changes)
    changed_variants: list[VariantSpec] = []
    for variant in spec.variants:
        old_row = variants.get(variant.sku)
        if old_row is None:
            changes.append(FieldChange(f"variant {variant.sku}", "", "added"))
            changed_variants.append(variant)
            continue
        differs = False
        for name in _VARIANT_FIELDS:
            old, new = old_row[name], getattr(variant, name)
            if old != new:
                differs = True
                changes.append(FieldChange(f"variant {variant.sku} {name}", _text(old), _text(new)))
        if differs:
            changed_variants.append(variant)
    in_file = {v.sku for v in spec.variants}
    removed = [old_row for sku, old_row in sorted(variants.items()) if sku not in in_file]
    for old_row in removed:
        changes.append(FieldChange(f"variant {old_row['sku']}", "present", "removed"))
    if not changes:
        plan.unchanged += 1
        return
    if spec.version is not None and spec.version != row["version"]:
        plan.add_conflict(Conflict(spec.sku, spec.line, spec.version, row["version"]))
        return
    plan.add_change(ProductChange(spec.sku, spec.line, changes))
    plan.updates.append(
        Update(
            spec=spec,
            product_id=row["id"],
            variant_ids={sku: old_row["id"] for sku, old_row in variants.items()},
            changed_variants=changed_variants,
            removed_variant_ids=[old_row["id"] for old_row in removed],
            product_changed=product_changed,
        )
    )
