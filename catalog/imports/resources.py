"""django-import-export's resource for the catalog file: one row per variant.

The export goes through it (``CatalogRowResource().export(...)``). The import does not:
the library imports row by row, each row its own ``save()`` with its own version bump,
history record and statistics request, which is what an import of 300,000 rows must not
do (``catalog.imports.services`` checks the whole file, then writes in bulk). The
benchmark's row-by-row baseline imports through a subclass of it in
``testkit.import_baseline``.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from import_export import fields, resources

from catalog.imports import layout
from catalog.models import Category, Product, Variant
from catalog.selectors import category_slug_paths


class CatalogRowResource(resources.ModelResource):
    """A variant with its product's columns (``catalog.imports.layout``)."""

    product_sku = fields.Field(column_name=layout.PRODUCT_SKU, readonly=True)
    name = fields.Field(column_name=layout.NAME, readonly=True)
    slug = fields.Field(column_name=layout.SLUG, readonly=True)
    status = fields.Field(column_name=layout.STATUS, readonly=True)
    category = fields.Field(column_name=layout.CATEGORY, readonly=True)
    description = fields.Field(column_name=layout.DESCRIPTION, readonly=True)
    version = fields.Field(column_name=layout.VERSION, readonly=True)
    variant_sku = fields.Field(attribute="sku", column_name=layout.VARIANT_SKU)

    class Meta:
        model = Variant
        fields = layout.COLUMNS
        export_order = layout.COLUMNS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._paths: dict[int, str] | None = None

    @property
    def paths(self) -> dict[int, str]:
        if self._paths is None:
            self._paths = category_slug_paths()
        return self._paths

    def export_field(self, field: fields.Field, instance: Variant, **kwargs: Any) -> Any:
        return layout.cell_out(super().export_field(field, instance, **kwargs))

    def dehydrate_product_sku(self, variant: Variant) -> str:
        return variant.product.sku

    def dehydrate_name(self, variant: Variant) -> str:
        return variant.product.name

    def dehydrate_slug(self, variant: Variant) -> str:
        return variant.product.slug

    def dehydrate_status(self, variant: Variant) -> str:
        return variant.product.status

    def dehydrate_category(self, variant: Variant) -> str:
        category_id = variant.product.category_id
        return "" if category_id is None else self.paths.get(category_id, "")

    def dehydrate_description(self, variant: Variant) -> str:
        return variant.product.description

    def dehydrate_version(self, variant: Variant) -> int:
        return variant.product.version


def export_queryset(*, category: Category | None = None) -> QuerySet[Variant]:
    """The variants an export writes (a category: its products and its subtree's)."""
    variants = Variant.objects.select_related("product").order_by("product__sku", "sku")
    if category is not None:
        variants = variants.filter(product__category_id__in=_subtree(category))
    return variants


#: Products an export reads at a time (a background export counts its progress in these).
EXPORT_CHUNK = 1000


def _export_products(category: Category | None) -> QuerySet[Product]:
    products = Product.objects.order_by("sku")
    if category is not None:
        products = products.filter(category_id__in=_subtree(category))
    return products


def export_product_count(*, category: Category | None = None) -> int:
    """The products an export of ``category`` (None: the whole catalog) writes."""
    return _export_products(category).count()


#: A category's export reads its product ids first up to this many (8 bytes each and
#: Python's overhead: about 10 MB), by the key of the SKU beyond.
SUBTREE_IDS_UP_TO = 100_000


def export_rows_over(limit: int, *, category: Category | None = None) -> bool:
    """Whether an export of ``category`` (None: the whole catalog) has more than ``limit``
    rows (one per variant), counting no further than ``limit`` + 1."""
    variants = Variant.objects.order_by()
    if category is not None:
        variants = variants.filter(product__category_id__in=_subtree(category))
    return variants.values("pk")[: limit + 1].count() > limit


def export_chunks(
    *, category: Category | None = None, size: int = EXPORT_CHUNK
) -> Iterator[list[Variant]]:
    """The same variants, ``size`` products at a time, in the same order.

    MariaDB's client reads a whole result set into memory (Django's ``iterator()``
    cannot stream there): 300,000 variants with their products took 500 MB at once. So
    each chunk is two queries: the next ``size`` products after the last SKU written
    (the SKU's unique index, a keyset page), then their variants. Not a list of every
    product's id read first: at 1,000,000 products that list alone grew the worker by
    tens of MB, and a catalog twice the size would take twice that.
    """
    products = _export_products(category)
    if category is not None:
        # A category's products by the category index, their ids first while there are
        # few enough (``SUBTREE_IDS_UP_TO``: a few MB): walking the SKU index for a small
        # category's pages read the whole catalog's index (6.7 s at 1,000,000 products
        # for a 38,000-product leaf, against 2.3 s, and as long for a leaf of 500).
        ids = list(products.values_list("id", flat=True)[: SUBTREE_IDS_UP_TO + 1])
        if len(ids) <= SUBTREE_IDS_UP_TO:
            for start in range(0, len(ids), size):
                yield _variants_of(ids[start : start + size])
            return
    last: str | None = None
    while True:
        page = products if last is None else products.filter(sku__gt=last)
        rows = list(page.values_list("id", "sku")[:size])
        if not rows:
            return
        last = rows[-1][1]
        yield _variants_of([pk for pk, _ in rows])
        if len(rows) < size:
            return


def _variants_of(product_ids: list[int]) -> list[Variant]:
    return list(
        Variant.objects.filter(product_id__in=product_ids)
        .select_related("product")
        .order_by("product__sku", "sku")
    )


def _subtree(category: Category) -> set[int]:
    from catalog.selectors import category_subtrees, category_tree

    return category_subtrees([category.pk], category_tree())
