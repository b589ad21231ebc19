"""Which products a bulk edit selects, and what it would change: the preview.

Nothing here writes. The preview reads each selected product's values and version (no
lock); the job remembers the versions, and the apply leaves alone any product saved
since (a conflict) rather than overwrite what another editor did after the preview.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from catalog.bulkedit.operations import (
    CATEGORY,
    BulkEditError,
    Operation,
    ValueChange,
    operations_words,
    product_changes,
)
from catalog.models import Product, Variant
from catalog.selectors import (
    PATH_SEPARATOR,
    category_names,
    category_path_names,
    category_slug_paths,
    category_subtrees,
    category_tree,
)

#: Products read per query by the preview and the apply.
CHUNK = 500
#: SKUs named in a selection's words before "and N more".
SKUS_NAMED = 10


@dataclass(frozen=True)
class Selection:
    """The selected products (ids, in order) and how the selection reads."""

    product_ids: list[int]
    words: str


def category_by_path(path: str) -> tuple[int, str]:
    """The category whose slug path (as the import writes it) is ``path``: (id, its names)."""
    wanted = path.strip().strip("/")
    paths = category_slug_paths()
    found = next((pk for pk, p in paths.items() if p == wanted), None)
    if found is None:
        raise BulkEditError(f"No category {path!r} (a path as the export writes it).")
    tree, names = category_names()
    return found, PATH_SEPARATOR.join(category_path_names(found, tree, names))


def category_operation(path: str) -> Operation:
    """ "Move to this category" from its path; an empty path takes products out of any."""
    if not path.strip():
        return Operation(CATEGORY, "", "")
    category_id, names = category_by_path(path)
    return Operation(CATEGORY, str(category_id), names)


def products_select(*, category_path: str | None = None, skus: Iterable[str] = ()) -> Selection:
    """The products of a category and its subcategories, and/or of these SKUs (a product's
    SKU or one of its variants'): the union. Raises ``BulkEditError`` for a category or a
    SKU not found, or no selection at all."""
    skus = [sku.strip() for sku in skus if sku.strip()]
    if not category_path and not skus:
        raise BulkEditError("Select products: a category, or one or more SKUs.")
    ids: set[int] = set()
    parts: list[str] = []
    if category_path:
        category_id, names = category_by_path(category_path)
        subtree = category_subtrees([category_id], category_tree())
        ids |= set(Product.objects.filter(category_id__in=subtree).values_list("pk", flat=True))
        parts.append(f"the products of {names} and its subcategories")
    if skus:
        found = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
        by_variant = dict(
            Variant.objects.filter(sku__in=set(skus) - set(found)).values_list("sku", "product_id")
        )
        missing = [sku for sku in skus if sku not in found and sku not in by_variant]
        if missing:
            raise BulkEditError(f"No product or variant with the SKU {missing[0]!r}.")
        ids |= set(found.values()) | set(by_variant.values())
        named = ", ".join(skus[:SKUS_NAMED])
        more = f" and {len(skus) - SKUS_NAMED:,} more" if len(skus) > SKUS_NAMED else ""
        parts.append(f"SKU{'s' if len(skus) > 1 else ''} {named}{more}")
    return Selection(product_ids=sorted(ids), words="; ".join(parts))


@dataclass
class ProductPreview:
    """One selected product: its version now, what would change, what rule it would break."""

    product_id: int
    sku: str
    name: str
    version: int
    changes: list[ValueChange]
    errors: list[str]


@dataclass
class Preview:
    """What the bulk edit would do: counts, then each product it changes (now -> after)."""

    selection: Selection
    operations: list[Operation]
    selected: int = 0
    #: Products with at least one change, and those with an error (nothing is applied
    #: while there is one).
    products: list[ProductPreview] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return operations_words(self.operations)

    @property
    def changed(self) -> list[ProductPreview]:
        return [p for p in self.products if p.changes]

    @property
    def unchanged(self) -> int:
        return self.selected - len(self.changed)

    @property
    def values(self) -> int:
        return sum(len(p.changes) for p in self.products)

    @property
    def ok(self) -> bool:
        return not self.errors

    def refusal(self) -> str:
        """Why the edit cannot be applied, in one sentence; empty when it can."""
        if not self.errors:
            return ""
        count = f" ({len(self.errors):,} problems)" if len(self.errors) > 1 else ""
        return f"{self.errors[0]} Nothing was changed{count}."


def products_with_variants(
    product_ids: list[int], *, lock: bool = False
) -> Iterator[tuple[Product, list[Variant]]]:
    """Each product of ``product_ids`` that still exists, with its variants, in id order
    (locked rows, product first, when ``lock``: the caller holds a transaction)."""
    products = Product.objects.filter(pk__in=product_ids).order_by("pk")
    variants = Variant.objects.filter(product_id__in=product_ids).order_by("pk")
    if lock:
        products, variants = products.select_for_update(), variants.select_for_update()
    found = list(products)
    by_product: dict[int, list[Variant]] = {}
    for variant in variants:
        by_product.setdefault(variant.product_id, []).append(variant)
    for product in found:
        yield product, by_product.get(product.pk, [])


def bulk_edit_preview(*, selection: Selection, operations: list[Operation]) -> Preview:
    """Each selected product now and after the operations, with the rule errors."""
    if not operations:
        raise BulkEditError("Say what to change: a price, a status or a category.")
    preview = Preview(selection=selection, operations=operations)
    ids = selection.product_ids
    for start in range(0, len(ids), CHUNK):
        for product, variants in products_with_variants(ids[start : start + CHUNK]):
            preview.selected += 1
            changes, errors = product_changes(product, variants, operations)
            if changes or errors:
                preview.products.append(
                    ProductPreview(
                        product.pk, product.sku, product.name, product.version, changes, errors
                    )
                )
            preview.errors.extend(errors)
    return preview
