"""The import/export file: its columns, and how one cell is written and read.

One row per variant; the product's own columns repeat on each of its variants' rows and
must agree. The encoder (``cell_out``) and the decoder (``cell_in``) live side by side so
the round trip (export, then import of the unchanged file) is checked in one place.

Spreadsheet programs run a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula
(CSV injection). The import refuses such text; the export writes text that starts so
with a leading apostrophe (``'=not a formula``), which the import takes off again (text
that already starts with apostrophes before such a character gets one more).
Numbers (``-5``, ``+3``) are numbers, not formulas: a negative price gets its own error.
The check is made on the trimmed text: a cell is stored trimmed, so `` =1+2`` would
otherwise reach the catalog (and the next export) as ``=1+2``.
"""

from decimal import Decimal, InvalidOperation

#: Bumped when a column changes meaning; not written to the file, kept for the docs.
LAYOUT_VERSION = 1

PRODUCT_SKU = "product_sku"
NAME = "name"
SLUG = "slug"
STATUS = "status"
CATEGORY = "category"
DESCRIPTION = "description"
VERSION = "version"
VARIANT_SKU = "variant_sku"
SIZE = "size"
COLOUR = "colour"
PRICE = "price"
CURRENCY = "currency"
STOCK = "stock"

#: The product's columns: the same on every row of one product.
PRODUCT_COLUMNS: tuple[str, ...] = (PRODUCT_SKU, NAME, SLUG, STATUS, CATEGORY, DESCRIPTION, VERSION)
#: The variant's own columns.
VARIANT_COLUMNS: tuple[str, ...] = (VARIANT_SKU, SIZE, COLOUR, PRICE, CURRENCY, STOCK)
#: Every column, in the order the export writes them. An import needs all of them.
COLUMNS: tuple[str, ...] = PRODUCT_COLUMNS + VARIANT_COLUMNS

#: Leading characters that make a spreadsheet evaluate a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Written before exported text that would otherwise start like a formula.
QUOTE = "'"


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def looks_like_formula(text: str) -> bool:
    """Text a spreadsheet would evaluate; a plain number (``-5``) is not one."""
    return text.startswith(FORMULA_STARTS) and not _is_number(text.strip())


def cell_out(value: object) -> object:
    """A value as the export writes it: text that starts like a formula (once trimmed, as
    the import reads it) gets a quote."""
    if isinstance(value, str) and looks_like_formula(value.lstrip(QUOTE).strip()):
        return QUOTE + value
    return value


class FormulaCell(ValueError):
    """A cell a spreadsheet would run as a formula: the whole file is refused."""


def cell_in(raw: object) -> str:
    """A cell as the import reads it: always text, trimmed, with the export's quote removed.

    XLSX cells arrive typed (numbers as int or float); they are turned back into the
    text a CSV cell would hold, so both formats take the same checks. Trimmed first, then
    checked: leading spaces never hide a formula.
    """
    if type(raw) is str:  # every CSV cell: the fast path
        text = raw.strip()
        if not text.startswith(FORMULA_STARTS) and not text.startswith(QUOTE):
            return text
    elif raw is None:
        return ""
    elif isinstance(raw, bool):
        text = "1" if raw else "0"
    elif isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    else:
        text = str(raw).strip()
    if looks_like_formula(text):
        raise FormulaCell(text)
    if text.startswith(QUOTE) and looks_like_formula(text.lstrip(QUOTE).strip()):
        return text[1:].strip()
    return text
