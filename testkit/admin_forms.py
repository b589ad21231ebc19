"""What the product admin's form posts: the product's fields and the variant inline's rows.

Shared by the admin tests and the save benchmarks, so all of them post what a browser does.
"""

from collections.abc import Iterable

from catalog.models import Product, Variant


def product_form(
    fields: dict[str, str], variant_rows: Iterable[dict[str, str]] = (), *, initial: int = 0
) -> dict[str, str]:
    """The POST of the add or change form: ``fields`` plus the inline's management form.

    ``variant_rows`` are the inline's rows without their ``variants-N-`` prefix; the first
    ``initial`` of them are existing variants (with their ``id``), as the admin renders them.
    """
    rows = list(variant_rows)
    data = dict(fields) | {
        "variants-TOTAL_FORMS": str(len(rows)),
        "variants-INITIAL_FORMS": str(initial),
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data |= {f"variants-{index}-{name}": value for name, value in row.items()}
    return data


def product_fields(product: Product, **changes: str) -> dict[str, str]:
    """A product's form fields as they are now, with ``changes`` on top."""
    return {
        "sku": product.sku,
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "category": str(product.category_id or ""),
        "status": product.status,
    } | changes


def variant_row(variant: Variant, **changes: str) -> dict[str, str]:
    """An existing variant's inline row as it is now, with ``changes`` on top."""
    return {
        "id": str(variant.pk),
        "product": str(variant.product_id),
        "sku": variant.sku,
        "size": variant.size,
        "colour": variant.colour,
        "price": str(variant.price),
        "currency": variant.currency,
        "stock": str(variant.stock),
    } | changes
