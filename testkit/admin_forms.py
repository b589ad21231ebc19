"""What the product admin's form posts: the product's fields and the variant inline's rows.

Shared by the admin tests and the save benchmarks, so all of them post what a browser does.
A browser loads a change form before posting it, and posts back the version token the
page carries (``catalog.admin.version_token``): without it the admin cannot tell which
version the editor started from and shows every changed field as a conflict. Callers
load the page first (``version_token`` of its HTML, or ``with_version_token``) and post
the token with their changes, so they measure and test the save an editor makes.
"""

import re
from collections.abc import Iterable
from typing import Any

from catalog.admin.version_token import TOKEN_FIELD
from catalog.models import Product, Variant

#: The version token's hidden input, as the change and revert forms render it.
TOKEN_INPUT = re.compile(rf'name="{TOKEN_FIELD}" value="([^"]+)"')


def version_token(html: str) -> str:
    """The version token of a change (or revert) page's HTML; ValueError if it has none."""
    match = TOKEN_INPUT.search(html)
    if match is None:
        raise ValueError("the page carries no version token: not a change form?")
    return match.group(1)


def with_version_token(client: Any, url: str, data: dict[str, str]) -> dict[str, str]:
    """``data`` plus the version token of the form at ``url``, loaded now with ``client``
    (a Django test client): what a browser posts after opening the page."""
    page = client.get(url)
    if page.status_code != 200:
        raise ValueError(f"GET {url}: HTTP {page.status_code}")
    return data | {TOKEN_FIELD: version_token(page.content.decode())}


def post_loaded(client: Any, url: str, data: dict[str, str], **kwargs: Any) -> Any:
    """Open the form at ``url``, then post ``data`` with its version token (``kwargs`` to
    the client's post, e.g. ``follow=True``): an editor's save, in one call."""
    return client.post(url, with_version_token(client, url, data), **kwargs)


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
