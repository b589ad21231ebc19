"""From the file's rows to products with their variants, every cell checked.

Nothing here reads the database except the category paths it is given: what a row says
is checked on its own (``plan`` then compares it with the catalog). Each problem is a
``RowError`` naming the line and the column, and every row is checked, so one run lists
all of a file's problems.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify

from catalog.imports import layout
from catalog.imports.files import ImportFileError, Row
from catalog.models import DESCRIPTION_MAX_LENGTH, Product, Variant
from catalog.validators import SKU_PATTERN

_SKU = re.compile(SKU_PATTERN)
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_STATUSES = {value: value for value in Product.Status.values} | {
    str(label).lower(): value for value, label in Product.Status.choices
}
_CURRENCIES = set(Variant.Currency.values)
#: MariaDB's INT UNSIGNED bound is larger; this is what every backend accepts.
_STOCK_MAX = 2_147_483_647
_PRICE_MAX = Decimal("9999999999.99")  # max_digits=12, decimal_places=2


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass(slots=True)
class VariantSpec:
    line: int
    sku: str
    size: str
    colour: str
    price: Decimal
    currency: str
    stock: int


@dataclass(slots=True)
class ProductSpec:
    #: The product's first line in the file.
    line: int
    sku: str
    name: str
    slug: str
    status: str
    category_id: int | None
    category: str
    description: str
    #: The version the file was exported at; None for a row written by hand.
    version: int | None
    variants: list[VariantSpec] = field(default_factory=list)


def products_from_rows(
    rows: Iterable[Row], *, category_ids: dict[str, int], name: str
) -> tuple[list[ProductSpec], list[RowError], int]:
    """The file's products (in first-seen order), every row error found, and the rows read.

    ``category_ids`` maps slug paths to ids. Raises ``ImportFileError`` for a variant
    SKU that appears twice in the file: the file is wrong, not one row of it. Each row
    is dropped once read: only the products are kept.
    """
    errors: list[RowError] = []
    products: dict[str, ProductSpec] = {}
    #: Each product's columns on its first row, which its other rows must repeat.
    first_values: dict[str, tuple[str, ...]] = {}
    variant_lines: dict[str, int] = {}
    count = 0
    for row in rows:
        count += 1
        values = row.values
        _refuse_duplicate_variant(values[layout.VARIANT_SKU], row.line, variant_lines, name)
        sku = values[layout.PRODUCT_SKU]
        spec = products.get(sku)
        if spec is None:
            spec = _product(row, category_ids, errors)
            if spec is None:
                continue
            products[sku] = spec
            first_values[sku] = tuple(values[column] for column in layout.PRODUCT_COLUMNS)
        else:
            first = first_values[sku]
            for column, earlier in zip(layout.PRODUCT_COLUMNS, first, strict=True):
                if values[column] != earlier:
                    errors.append(
                        RowError(
                            row.line,
                            column,
                            f"differs from line {spec.line} for the same product "
                            f"{sku} ({values[column][:40]!r} vs {earlier[:40]!r}).",
                        )
                    )
        variant = _variant(row, errors)
        if variant is not None:
            spec.variants.append(variant)
    for spec in products.values():
        currencies = sorted({v.currency for v in spec.variants})
        if len(currencies) > 1:
            errors.append(
                RowError(
                    spec.line,
                    layout.CURRENCY,
                    f"all variants of {spec.sku} must have the same currency, not "
                    f"{' and '.join(currencies)} (prices are not converted).",
                )
            )
    _refuse_duplicate_slugs(products.values(), errors)
    errors.sort(key=lambda e: (e.line, layout.COLUMNS.index(e.column)))
    return list(products.values()), errors, count


def _refuse_duplicate_variant(sku: str, line: int, seen: dict[str, int], name: str) -> None:
    if sku and sku in seen:
        raise ImportFileError(
            f"{name}: the variant SKU {sku} appears twice (lines {seen[sku]} and "
            f"{line}); each variant must have one row."
        )
    seen[sku] = line


def _refuse_duplicate_slugs(products: Iterable[ProductSpec], errors: list[RowError]) -> None:
    seen: dict[str, ProductSpec] = {}
    for spec in products:
        other = seen.setdefault(spec.slug, spec)
        if other is not spec:
            errors.append(
                RowError(
                    spec.line,
                    layout.SLUG,
                    f"{spec.slug!r} is also {other.sku}'s slug (line {other.line}).",
                )
            )


def _product(row: Row, category_ids: dict[str, int], errors: list[RowError]) -> ProductSpec | None:
    values, line = row.values, row.line
    before = len(errors)

    def error(column: str, message: str) -> None:
        errors.append(RowError(line, column, message))

    sku = values[layout.PRODUCT_SKU]
    if not _SKU.match(sku):
        error(layout.PRODUCT_SKU, _sku_message(sku))
    name = values[layout.NAME]
    if not name:
        error(layout.NAME, "a product needs a name.")
    elif len(name) > 200:
        error(layout.NAME, f"at most 200 characters ({len(name)}).")
    slug = values[layout.SLUG] or slugify(name)
    if not _SLUG.match(slug) or len(slug) > 220:
        error(layout.SLUG, "letters, digits, dashes and underscores only, at most 220.")
    status = _STATUSES.get(values[layout.STATUS].lower() or Product.Status.DRAFT.value)
    if status is None:
        error(layout.STATUS, f"{values[layout.STATUS]!r}: draft or published.")
    path = values[layout.CATEGORY].strip("/")
    category_id = category_ids.get(path) if path else None
    if path and category_id is None:
        error(layout.CATEGORY, f"no category {path!r} (a slug path such as clothing/shirts).")
    description = values[layout.DESCRIPTION]
    if len(description) > DESCRIPTION_MAX_LENGTH:
        error(layout.DESCRIPTION, f"at most {DESCRIPTION_MAX_LENGTH:,} characters.")
    version: int | None = None
    if values[layout.VERSION]:
        try:
            version = int(values[layout.VERSION])
        except ValueError:
            version = 0
        if version < 1:
            error(layout.VERSION, "the version the file was exported at: a whole number, or empty.")
    if len(errors) > before:
        return None
    return ProductSpec(
        line=line,
        sku=sku,
        name=name,
        slug=slug,
        status=status or "",
        category_id=category_id,
        category=path,
        description=description,
        version=version,
    )


def _variant(row: Row, errors: list[RowError]) -> VariantSpec | None:
    values, line = row.values, row.line
    before = len(errors)

    def error(column: str, message: str) -> None:
        errors.append(RowError(line, column, message))

    sku = values[layout.VARIANT_SKU]
    if not _SKU.match(sku):
        error(layout.VARIANT_SKU, _sku_message(sku))
    for column in (layout.SIZE, layout.COLOUR):
        if len(values[column]) > 32:
            error(column, "at most 32 characters.")
    price = _price(values[layout.PRICE], lambda message: error(layout.PRICE, message))
    currency = values[layout.CURRENCY].upper() or Variant.Currency.EUR.value
    if currency not in _CURRENCIES:
        error(
            layout.CURRENCY,
            f"{values[layout.CURRENCY]!r}: one of {', '.join(sorted(_CURRENCIES))}.",
        )
    stock = 0
    if values[layout.STOCK]:
        try:
            stock = int(values[layout.STOCK])
        except ValueError:
            stock = -1
        if not 0 <= stock <= _STOCK_MAX:
            error(layout.STOCK, f"{values[layout.STOCK]!r}: a whole number, 0 or more.")
    if len(errors) > before or price is None:
        return None
    return VariantSpec(
        line, sku, values[layout.SIZE], values[layout.COLOUR], price, currency, stock
    )


def _price(text: str, report: Callable[[str], None]) -> Decimal | None:
    try:
        price = Decimal(text)
    except InvalidOperation:
        report(f"{text!r} is not a price (digits, a dot, two decimals at most).")
        return None
    if not price.is_finite():
        report(f"{text!r} is not a price.")
        return None
    if price < 0:
        report(f"{text}: a price cannot be negative.")
        return None
    if price > _PRICE_MAX or price != price.quantize(Decimal("0.01")):
        report(f"{text}: at most two decimals and 10 digits before the dot.")
        return None
    return price.quantize(Decimal("0.01"))


def _sku_message(sku: str) -> str:
    return (
        f"{sku!r} is not a SKU: 3 to 32 upper-case letters, digits and dashes, "
        "starting with a letter or digit."
        if sku
        else "a SKU is required."
    )
