"""From the file's rows to products with their variants, every cell checked.

Nothing here reads the database except the category paths it is given: what a row says
is checked on its own (``plan`` then compares it with the catalog). Each problem is a
``RowError`` naming the line and the column, collected in an ``ErrorLog`` (bounded: the
first few of each kind, every one counted); reading stops once the log is full, so a
file of junk is refused after a few hundred rows instead of listing a million errors.
A cell holding a control character (NUL...) is an error too: stored, it would break
every XLSX export and the product's admin form.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify

from catalog.imports import layout
from catalog.imports.errors import ErrorLog, RowError, quoted
from catalog.imports.files import ImportFileError, Row
from catalog.models import DESCRIPTION_MAX_LENGTH, Product, Variant
from catalog.validators import CONTROL_CHARACTERS, SKU_PATTERN, control_character_problem

__all__ = ["ErrorLog", "ProductSpec", "RowError", "RowsRead", "VariantSpec", "products_from_rows"]

_SKU = re.compile(SKU_PATTERN)
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_STATUSES = {value: value for value in Product.Status.values} | {
    str(label).lower(): value for value, label in Product.Status.choices
}
_CURRENCIES = set(Variant.Currency.values)
#: MariaDB's INT UNSIGNED bound is larger; this is what every backend accepts.
_STOCK_MAX = 2_147_483_647
_PRICE_MAX = Decimal("9999999999.99")  # max_digits=12, decimal_places=2


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


@dataclass
class RowsRead:
    #: The file's products, in first-seen order.
    products: list[ProductSpec]
    #: Data rows read (blank ones skipped).
    rows: int
    #: The line reading stopped at, the error log being full; 0 if the file was read whole.
    stopped_at: int = 0


def products_from_rows(
    rows: Iterable[Row], *, category_ids: dict[str, int], name: str, errors: ErrorLog
) -> RowsRead:
    """The file's products, with every row error found logged in ``errors``.

    ``category_ids`` maps slug paths to ids. Raises ``ImportFileError`` for a variant
    SKU that appears twice in the file: the file is wrong, not one row of it. Each row
    is dropped once read: only the products are kept. Stops reading once ``errors`` is
    full (``stopped_at``).
    """
    products: dict[str, ProductSpec] = {}
    #: Each product's columns on its first row, which its other rows must repeat.
    first_values: dict[str, tuple[str, ...]] = {}
    variant_lines: dict[str, int] = {}
    count = 0
    stopped_at = 0
    for row in rows:
        count += 1
        _read_row(row, products, first_values, variant_lines, category_ids, name, errors)
        if errors.full:
            stopped_at = row.line
            break
    for spec in products.values():
        currencies = sorted({v.currency for v in spec.variants})
        if len(currencies) > 1:
            errors.add(
                spec.line,
                layout.CURRENCY,
                "mixed",
                f"all variants of {spec.sku} must have the same currency, not "
                f"{' and '.join(currencies)} (prices are not converted).",
            )
    _refuse_duplicate_slugs(products.values(), errors)
    return RowsRead(list(products.values()), count, stopped_at)


def _read_row(
    row: Row,
    products: dict[str, ProductSpec],
    first_values: dict[str, tuple[str, ...]],
    variant_lines: dict[str, int],
    category_ids: dict[str, int],
    name: str,
    errors: ErrorLog,
) -> None:
    values = row.values
    _refuse_duplicate_variant(values[layout.VARIANT_SKU], row.line, variant_lines, name)
    if _control_characters(row, errors):
        return
    sku = values[layout.PRODUCT_SKU]
    spec = products.get(sku)
    if spec is None:
        spec = _product(row, category_ids, errors)
        if spec is None:
            return
        products[sku] = spec
        first_values[sku] = tuple(values[column] for column in layout.PRODUCT_COLUMNS)
    else:
        first = first_values[sku]
        for column, earlier in zip(layout.PRODUCT_COLUMNS, first, strict=True):
            if values[column] != earlier:
                errors.add(
                    row.line,
                    column,
                    "differs",
                    f"differs from line {spec.line} for the same product "
                    f"{sku} ({quoted(values[column])} vs {quoted(earlier)}).",
                )
    variant = _variant(row, errors)
    if variant is not None:
        spec.variants.append(variant)


def _control_characters(row: Row, errors: ErrorLog) -> bool:
    """Log each cell of the row holding a control character; True if there was one.

    One search over the row's cells joined (a line feed is not a control character
    here), and a search per cell only when it finds one.
    """
    if CONTROL_CHARACTERS.search("\n".join(row.values.values())) is None:
        return False
    for column, value in row.values.items():
        problem = control_character_problem(value)
        if problem:
            errors.add(row.line, column, "control_character", f"the cell {problem}")
    return True


def _refuse_duplicate_variant(sku: str, line: int, seen: dict[str, int], name: str) -> None:
    if sku and sku in seen:
        raise ImportFileError(
            f"{name}: the variant SKU {sku[:40]} appears twice (lines {seen[sku]} and "
            f"{line}); each variant must have one row."
        )
    seen[sku] = line


def _refuse_duplicate_slugs(products: Iterable[ProductSpec], errors: ErrorLog) -> None:
    seen: dict[str, ProductSpec] = {}
    for spec in products:
        other = seen.setdefault(spec.slug, spec)
        if other is not spec:
            errors.add(
                spec.line,
                layout.SLUG,
                "duplicate",
                f"{spec.slug!r} is also {other.sku}'s slug (line {other.line}).",
            )


def _product(row: Row, category_ids: dict[str, int], errors: ErrorLog) -> ProductSpec | None:
    values, line = row.values, row.line
    before = errors.total

    def error(column: str, rule: str, message: str) -> None:
        errors.add(line, column, rule, message)

    sku = values[layout.PRODUCT_SKU]
    if not _SKU.match(sku):
        error(layout.PRODUCT_SKU, *_sku_problem(sku))
    name = values[layout.NAME]
    if not name:
        error(layout.NAME, "required", "a product needs a name.")
    elif len(name) > 200:
        error(layout.NAME, "too_long", f"at most 200 characters ({len(name):,}).")
    slug = values[layout.SLUG] or slugify(name)
    if not _SLUG.match(slug) or len(slug) > 220:
        error(layout.SLUG, "slug", "letters, digits, dashes and underscores only, at most 220.")
    status = _STATUSES.get(values[layout.STATUS].lower() or Product.Status.DRAFT.value)
    if status is None:
        error(layout.STATUS, "choice", f"{quoted(values[layout.STATUS])}: draft or published.")
    path = values[layout.CATEGORY].strip("/")
    category_id = category_ids.get(path) if path else None
    if path and category_id is None:
        error(
            layout.CATEGORY,
            "unknown",
            f"no category {quoted(path, 80)} (a slug path such as clothing/shirts).",
        )
    description = values[layout.DESCRIPTION]
    if len(description) > DESCRIPTION_MAX_LENGTH:
        error(layout.DESCRIPTION, "too_long", f"at most {DESCRIPTION_MAX_LENGTH:,} characters.")
    version: int | None = None
    if values[layout.VERSION]:
        try:
            version = int(values[layout.VERSION])
        except ValueError:
            version = 0
        if version < 1:
            error(
                layout.VERSION,
                "number",
                "the version the file was exported at: a whole number, or empty.",
            )
    if errors.total > before:
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


def _variant(row: Row, errors: ErrorLog) -> VariantSpec | None:
    values, line = row.values, row.line
    before = errors.total

    def error(column: str, rule: str, message: str) -> None:
        errors.add(line, column, rule, message)

    sku = values[layout.VARIANT_SKU]
    if not _SKU.match(sku):
        error(layout.VARIANT_SKU, *_sku_problem(sku))
    for column in (layout.SIZE, layout.COLOUR):
        if len(values[column]) > 32:
            error(column, "too_long", "at most 32 characters.")
    price = _price(values[layout.PRICE], lambda message: error(layout.PRICE, "price", message))
    currency = values[layout.CURRENCY].upper() or Variant.Currency.EUR.value
    if currency not in _CURRENCIES:
        error(
            layout.CURRENCY,
            "choice",
            f"{quoted(values[layout.CURRENCY])}: one of {', '.join(sorted(_CURRENCIES))}.",
        )
    stock = 0
    if values[layout.STOCK]:
        try:
            stock = int(values[layout.STOCK])
        except ValueError:
            stock = -1
        if not 0 <= stock <= _STOCK_MAX:
            error(
                layout.STOCK,
                "number",
                f"{quoted(values[layout.STOCK])}: a whole number, 0 or more.",
            )
    if errors.total > before or price is None:
        return None
    return VariantSpec(
        line, sku, values[layout.SIZE], values[layout.COLOUR], price, currency, stock
    )


def _price(text: str, report: Callable[[str], None]) -> Decimal | None:
    if len(text) > 40:  # Decimal() of a long digit string costs; no price is this long
        report(f"{quoted(text)} is not a price (digits, a dot, two decimals at most).")
        return None
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
    try:
        exact = price == price.quantize(Decimal("0.01"))
    except InvalidOperation:  # an exponent beyond the context's precision
        exact = False
    if price > _PRICE_MAX or not exact:
        report(f"{text}: at most two decimals and 10 digits before the dot.")
        return None
    return price.quantize(Decimal("0.01"))


def _sku_problem(sku: str) -> tuple[str, str]:
    """(rule, message) for a value that is not a SKU."""
    if not sku:
        return "required", "a SKU is required."
    return (
        "sku",
        f"{quoted(sku)} is not a SKU: 3 to 32 upper-case letters, digits and dashes, "
        "starting with a letter or digit.",
    )
