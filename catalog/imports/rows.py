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
rows, the version column, a category path that leads nowhere) keeps the import's words.

A product with any row in error is left out of the products read: it is neither new nor
changed, only refused. Comparing what is left of it with the catalog would list the
variant of its bad row as one the file removes.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from catalog.imports import layout
from catalog.imports.errors import ErrorLog, ProductErrors, RowError, quoted
from catalog.imports.fields import CellError, FieldRule, field_rule, unique_message
from catalog.imports.files import ImportFileError, Row
from catalog.models import Product, Variant
from catalog.rules import product_currency_check
from catalog.validators import CONTROL_CHARACTERS, control_character_problem

__all__ = [
    "ErrorLog",
    "ProductSpec",
    "RowError",
    "RowsRead",
    "VariantSpec",
    "category_hint",
    "products_from_rows",
]

#: A status by its value or its label, any case ("Published"), to its value.
_STATUSES = {value: value for value in Product.Status.values} | {
    str(label).lower(): value for value, label in Product.Status.choices
}
_CENTS = Decimal("0.01")
#: A row's product columns, which each row of the product must repeat.
_product_cells = itemgetter(*layout.PRODUCT_COLUMNS)
#: The rule of a category path that names no category (the form's code for a choice not found).
CATEGORY_MISSING = "invalid_choice"


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
    #: The file's products without an error, in first-seen order.
    products: list[ProductSpec]
    #: Data rows read (blank ones skipped).
    rows: int
    #: The line reading stopped at, the error log being full; 0 if the file was read whole.
    stopped_at: int = 0
    #: Products left out for an error in one of their rows (by SKU).
    refused: int = 0


def products_from_rows(
    rows: Iterable[Row], *, category_ids: dict[str, int], name: str, errors: ErrorLog
) -> RowsRead:
    """The file's products, with every row error found logged in ``errors``.

    ``category_ids`` maps slug paths to ids. Raises ``ImportFileError`` for a variant
    SKU that appears twice in the file: the file is wrong, not one row of it. Each row
    is dropped once read: only the products are kept, less those with an error in any
    of their rows (``refused``). Stops reading once ``errors`` is full (``stopped_at``).
    """
    products: dict[str, ProductSpec] = {}
    #: Each product's columns on its first row, which its other rows must repeat.
    first_values: dict[str, tuple[str, ...]] = {}
    variant_lines: dict[str, int] = {}
    #: SKUs of the products with an error: bounded by the log's ``stop_after``.
    refused: set[str] = set()
    count = 0
    stopped_at = 0
    for row in rows:
        count += 1
        before = errors.total
        _read_row(row, products, first_values, variant_lines, category_ids, name, errors)
        if errors.total > before:
            refused.add(row.values[layout.PRODUCT_SKU])
        if errors.full:
            stopped_at = row.line
            break
    for spec in products.values():
        try:
            product_currency_check(currencies=[v.currency for v in spec.variants])
        except ValidationError as error:
            errors.about(spec.sku, spec.name).add(
                spec.line, layout.CURRENCY, error.code or "mixed", error.messages[0]
            )
            refused.add(spec.sku)
    refused.update(_refuse_duplicate_slugs(products.values(), errors))
    kept = [spec for spec in products.values() if spec.sku not in refused]
    return RowsRead(kept, count, stopped_at, refused=len(refused))


def category_hint(paths: Collection[str]) -> str:
    """How a file names a category, with an example the import accepts (the catalog's own).

    The first path below a top category, in alphabetical order (a top category alone
    would not show the slashes); a top category's when there is no other; none at all
    when the catalog has no categories, which is said as it is.
    """
    if not paths:
        return "The catalog has no categories yet: leave the category column empty."
    example = min((path for path in paths if "/" in path), default=None) or min(paths)
    return f'A category is written as its path from the top category, for example "{example}".'


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
    sku = values[layout.PRODUCT_SKU]
    log = errors.about(sku, values[layout.NAME])
    if _control_characters(row, log):
        return
    spec = products.get(sku)
    if spec is None:
        spec = _product(row, category_ids, log)
        if spec is None:
            return
        products[sku] = spec
        first_values[sku] = _product_cells(values)
    elif (first := first_values[sku]) != _product_cells(values):
        for column, earlier in zip(layout.PRODUCT_COLUMNS, first, strict=True):
            if values[column] != earlier:
                log.add(
                    row.line,
                    column,
                    "differs",
                    f"differs from line {spec.line} for the same product "
                    f"{sku} ({quoted(values[column])} vs {quoted(earlier)}).",
                )
    variant = _variant(row, log)
    if variant is not None:
        spec.variants.append(variant)


def _control_characters(row: Row, errors: ProductErrors) -> bool:
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


def _refuse_duplicate_slugs(products: Iterable[ProductSpec], errors: ErrorLog) -> set[str]:
    """Log each product whose slug an earlier product of the file has; their SKUs."""
    seen: dict[str, ProductSpec] = {}
    refused: set[str] = set()
    for spec in products:
        other = seen.setdefault(spec.slug, spec)
        if other is not spec:
            refused.add(spec.sku)
            errors.about(spec.sku, spec.name).add(
                spec.line,
                layout.SLUG,
                "unique",
                f"{quoted(spec.slug)}: {unique_message(Product, 'slug').rstrip('.')} "
                f"({other.sku}'s, line {other.line}).",
            )
    return refused


def _product(row: Row, category_ids: dict[str, int], errors: ProductErrors) -> ProductSpec | None:
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
        # Only a file names a category by its path (``clothing/clothing-shirts``): the
        # import's words, not the form's "Select a valid choice" (the form offers a list).
        # The page adds how to write one (``category_hint``).
        shown = path if len(path) <= 80 else f"{path[:80]}... ({len(path):,} characters)"
        errors.add(line, layout.CATEGORY, CATEGORY_MISSING, f'Category "{shown}" does not exist.')
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


@cache
def _variant_rules() -> tuple[FieldRule, ...]:
    """The variant's field rules, looked up once (a row is checked in microseconds)."""
    return tuple(
        field_rule(Variant, name)
        for name in ("sku", "size", "colour", "price", "currency", "stock")
    )


def _variant(row: Row, errors: ProductErrors) -> VariantSpec | None:
    values, line = row.values, row.line
    before = errors.total
    sku_rule, size_rule, colour_rule, price_rule, currency_rule, stock_rule = _variant_rules()
    sku = values[layout.VARIANT_SKU]
    _checked(errors, line, layout.VARIANT_SKU, sku_rule, sku)
    size = values[layout.SIZE]
    _checked(errors, line, layout.SIZE, size_rule, size)
    colour = values[layout.COLOUR]
    _checked(errors, line, layout.COLOUR, colour_rule, colour)
    price = _checked(errors, line, layout.PRICE, price_rule, values[layout.PRICE])
    # Empty: EUR and 0 (a file's shorthand, documented for editors); else the form's rules.
    currency = _checked(
        errors,
        line,
        layout.CURRENCY,
        currency_rule,
        values[layout.CURRENCY].upper() or Variant.Currency.EUR.value,
    )
    stock = _checked(errors, line, layout.STOCK, stock_rule, values[layout.STOCK] or "0")
    if errors.total > before:
        return None
    return VariantSpec(line, sku, size, colour, price.quantize(_CENTS), currency, stock)


def _checked(errors: ProductErrors, line: int, column: str, rule: FieldRule, text: str) -> Any:
    """The cell cleaned by its field's rule; None (and the error logged) if refused."""
    try:
        return rule.clean(text)
    except CellError as error:
        errors.add(line, column, error.code, error.message)
        return None
