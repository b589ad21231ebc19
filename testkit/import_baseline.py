"""The import benchmark's baseline: django-import-export's default row-by-row import.

``RowByRowResource().import_data(dataset)`` imports the catalog file through the library,
one ``save()`` per row, each with its own version bump, history record and statistics
request: what ``bench/import.py`` compares the project's import with. The app never
imports this way (``catalog.imports.services`` checks the whole file, then writes in
bulk), so this half of the resource lives here, beside the export's resource it extends.
"""

from typing import Any

from catalog.imports import layout
from catalog.imports.resources import CatalogRowResource
from catalog.models import Category, Product, Variant


class RowByRowResource(CatalogRowResource):
    """The export's resource, importing a variant per row (the product found or created)."""

    class Meta:
        import_id_fields = (layout.VARIANT_SKU,)
        skip_unchanged = True
        report_skipped = False

    def before_save_instance(self, instance: Variant, row: Any, **kwargs: Any) -> None:
        """Find or create the row's product, as a plain ``save()`` would (the library's way)."""
        path = str(row.get(layout.CATEGORY) or "")
        category = Category.objects.get(slug=path.rsplit("/", 1)[-1]) if path else None
        values = {
            "name": row[layout.NAME],
            "slug": row[layout.SLUG],
            "status": row[layout.STATUS],
            "description": row.get(layout.DESCRIPTION) or "",
            "category": category,
        }
        product, created = Product.objects.get_or_create(
            sku=row[layout.PRODUCT_SKU], defaults=values
        )
        if not created and any(getattr(product, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(product, key, value)
            product.save()
        instance.product = product
