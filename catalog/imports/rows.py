"""From the file's rows to products with their variants, every cell checked.

Nothing here reads the database except the category paths it is given: what a row says
is checked on its own (``plan`` then compares it with the catalog). Each problem is a
``RowError`` naming the line and the column, collected in an ``ErrorLog`` (bounded: the
first few of each kind, every one counted); reading stops once the log is full, so a
file of junk is refused after a few hundred rows instead of listing a million errors.
A cell holding a control character (NUL...) is an error too: stored, it would break
every XLSX export and the product's admin form.

No rule of the catalog is written here: each cell goes through its model field's own
checks as the admin form runs them (``fields.FieldRule``), one currency per product
through ``catalog.rules``, an unknown category and a taken SKU or slug in the product
form's and the model's words. An import and a form refuse the same values with the same
message. What only a file can say wrong (a product's columns differing between its
rows, the version column) keeps the import's words.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from catalog.imports import layout
from catalog.imports.errors import ErrorLog, RowError, quoted
from catalog.imports.fields import CellError, FieldRule, field_rule, unique_message
from catalog.imports.files import ImportFileError, Row
from catalog.models import Product, Variant
from catalog.rules import product_currency_check
from catalog.validators import CONTROL_CHARACTERS, control_character_problem

__all__ = ["ErrorLog", "ProductSpec", "RowError", "RowsRead", "VariantSpec", "products_from_rows"]

#: A status by its value or its label, any case ("Published"), to its value.
_STATUSES = {value: value for value in Product.Status.values} | {
    str(label).lower(): value for value, label in Product.Status.choices
}
_CENTS = Decimal("0.01")


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
        try:
            product_currency_check(currencies=[v.currency for v in spec.variants])
        except ValidationError as error:
            errors.add(spec.line, layout.CURRENCY, error.code or "mixed", error.messages[0])
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
                "unique",
                f"{quoted(spec.slug)}: {unique_message(Product, 'slug').rstrip('.')} "
                f"({other.sku}'s, line {other.line}).",
            )


def _product(row: Row, category_ids: dict[str, int], errors: ErrorLog) -> ProductSpec | None:
    values, line = row.values, row.line
    before = errors.total

    def check(column: str, name: str, text: str) -> Any:
        return _checked(errors, line, column, field_rule(Product, name), text)

    sku = values[layout.PRODUCT_SKU]
    check(layout.PRODUCT_SKU, "sku", sku)
    name = values[layout.NAME]
    check(layout.NAME, "name", name)
    slug = values[layout.SLUG] or slugify(name)
    check(layout.SLUG, "slug", slug)
    # A status by its value or its label, any case; empty is a draft, as on a new product.
    status_text = values[layout.STATUS]
    status = check(
        layout.STATUS,
        "status",
        _STATUSES.get(status_text.lower() or Product.Status.DRAFT.value, status_text),
    )
    path = values[layout.CATEGORY].strip("/")
    category_id = category_ids.get(path) if path else None
    if path and category_id is None:
        # The product form's words for a category that is not there; a path is how a
        # file names one (``clothing/clothing-shirts``).
        category = field_rule(Product, "category")
        errors.add(
            line,
            layout.CATEGORY,
            "invalid_choice",
            f"{quoted(path, 80)}: {category.message('invalid_choice')}",
        )
    description = values[layout.DESCRIPTION]
    check(layout.DESCRIPTION, "description", description)
    version: int | None = None
    if values[layout.VERSION]:
        try:
            version = int(values[layout.VERSION])
        except ValueError:
            version = 0
        if version < 1:
            # The file's own column (no form has it): the import's words.
            errors.add(
                line,
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
        status=status,
        category_id=category_id,
        category=path,
        description=description,
        version=version,
    )


def _variant(row: Row, errors: ErrorLog) -> VariantSpec | None:
    values, line = row.values, row.line
    before = errors.total

    def check(column: str, name: str, text: str) -> Any:
        return _checked(errors, line, column, field_rule(Variant, name), text)

    sku = values[layout.VARIANT_SKU]
    check(layout.VARIANT_SKU, "sku", sku)
    size = values[layout.SIZE]
    check(layout.SIZE, "size", size)
    colour = values[layout.COLOUR]
    check(layout.COLOUR, "colour", colour)
    price = check(layout.PRICE, "price", values[layout.PRICE])
    # Empty: EUR and 0 (a file's shorthand, documented for editors); else the form's rules.
    currency = check(
        layout.CURRENCY, "currency", values[layout.CURRENCY].upper() or Variant.Currency.EUR.value
    )
    stock = check(layout.STOCK, "stock", values[layout.STOCK] or "0")
    if errors.total > before:
        return None
    return VariantSpec(line, sku, size, colour, price.quantize(_CENTS), currency, stock)


def _checked(errors: ErrorLog, line: int, column: str, rule: FieldRule, text: str) -> Any:
    """The cell cleaned by its field's rule; None (and the error logged) if refused."""
    try:
        return rule.clean(text)
    except CellError as error:
        errors.add(line, column, error.code, error.message)
        return None
