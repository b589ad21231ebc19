"""Reading an uploaded file into rows, and writing an export: CSV (UTF-8) and XLSX.

A bad file is refused whole, before any row is looked at or as soon as the problem is
met, with one sentence an editor can act on (``ImportFileError``): too large, not UTF-8,
not a spreadsheet, a column missing or unknown, a formula in a cell, more rows, columns
or characters in a cell than the limits allow (``limits``). Reading holds one row at a
time, in memory bounded by the limits whatever the file (``csv_source``, ``xlsx_source``).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import tablib
from django.conf import settings

from catalog.imports.csv_source import csv_rows
from catalog.imports.errors import ImportFileError
from catalog.imports.layout import COLUMNS, FormulaCell, cell_in
from catalog.imports.limits import ImportLimits
from catalog.imports.xlsx_source import xlsx_rows

__all__ = ["FORMATS", "ImportFileError", "Row", "file_format", "max_bytes", "read_rows"]

FORMATS = ("csv", "xlsx")
#: Unknown column names a refusal lists before "and N more".
SHOWN_COLUMNS = 5


@dataclass(frozen=True)
class Row:
    #: The line (CSV) or spreadsheet row number the editor sees, the header being 1.
    line: int
    values: dict[str, str]


def file_format(name: str) -> str:
    """``csv`` or ``xlsx`` from the file's name; anything else is refused."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ImportFileError(f"{name[:100]}: not a .csv or .xlsx file.")
    return suffix


def max_bytes() -> int:
    return int(settings.CATALOG_IMPORT_MAX_BYTES)


def read_rows(
    path: Path, *, name: str | None = None, limits: ImportLimits | None = None
) -> Iterator[Row]:
    """Every data row of the file, blank rows skipped, read as they are needed.

    A generator: a row is read, checked and handed on, never kept, so an import of
    300,000 rows holds its products in memory, not its rows. ``ImportFileError`` comes
    out of the iteration, the first time a problem is met. ``name`` is what the user
    called the file (an upload is stored under another name).
    """
    limits = limits or ImportLimits.from_settings()
    name = name or path.name
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ImportFileError(
            f"{name} is {size / 1e6:.1f} MB; the largest file accepted is "
            f"{limits.max_bytes / 1e6:.1f} MB (CATALOG_IMPORT_MAX_BYTES)."
        )
    fmt = file_format(name)
    reader = csv_rows if fmt == "csv" else xlsx_rows
    raw_rows = reader(path, name, limits)
    line = 1
    try:
        first = next(raw_rows, None)
        if first is None:
            raise ImportFileError(f"{name} is empty: the first row must name the columns.")
        columns = _header(first[1], name, limits)
        for count, (line, raw) in enumerate(raw_rows, start=1):
            if count > limits.max_rows:
                raise ImportFileError(
                    f"{name}: more than {limits.max_rows:,} rows below the header "
                    "(CATALOG_IMPORT_MAX_ROWS); split the file."
                )
            cells = _cells(raw, line, columns, name, limits)
            if not any(cells):
                continue
            cells += [""] * (len(columns) - len(cells))
            yield Row(line=line, values=dict(zip(columns, cells, strict=False)))
    except FormulaCell as exc:
        raise ImportFileError(
            f"{name}, line {line}: the cell {str(exc)[:40]!r} starts with =, +, -, @ "
            "(a formula in a spreadsheet): formulas are refused; write the value itself."
        ) from None
    finally:
        raw_rows.close()


def _trimmed(raw: list[object]) -> list[object]:
    """The row without its trailing empty cells (a spreadsheet pads rows with them)."""
    end = len(raw)
    while end and (raw[end - 1] is None or raw[end - 1] == ""):
        end -= 1
    return raw[:end]


def _cells(
    raw: list[object], line: int, columns: list[str], name: str, limits: ImportLimits
) -> list[str]:
    raw = _trimmed(raw)
    if len(raw) > limits.max_columns:
        raise ImportFileError(
            f"{name}, line {line}: {len(raw):,} cells; a row has {len(COLUMNS)} "
            f"(at most {limits.max_columns} accepted, CATALOG_IMPORT_MAX_COLUMNS)."
        )
    cells = [cell_in(cell) for cell in raw]
    if cells and max(map(len, cells)) > limits.max_cell_chars:
        index = next(i for i, text in enumerate(cells) if len(text) > limits.max_cell_chars)
        column = columns[index] if index < len(columns) else f"number {index + 1}"
        raise ImportFileError(
            f"{name}, line {line}, column {column}: {len(cells[index]):,} characters; at most "
            f"{limits.max_cell_chars:,} in a cell (CATALOG_IMPORT_MAX_CELL_CHARS)."
        )
    return cells


def _header(raw: list[object], name: str, limits: ImportLimits) -> list[str]:
    raw = _trimmed(raw)
    if len(raw) > limits.max_columns:
        raise ImportFileError(
            f"{name}: the first row names {len(raw):,} columns; the layout has "
            f"{len(COLUMNS)} (at most {limits.max_columns} accepted, CATALOG_IMPORT_MAX_COLUMNS)."
        )
    try:
        columns = [cell_in(cell).lower() for cell in raw]
    except FormulaCell:
        raise ImportFileError(f"{name}: the first row must name the columns.") from None
    while columns and not columns[-1]:
        columns.pop()
    missing = [c for c in COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in COLUMNS]
    if missing:
        raise ImportFileError(f"{name}: missing columns: {_names(missing)}.")
    if unknown:
        raise ImportFileError(
            f"{name}: unknown columns: {_names(unknown)} (expected {', '.join(COLUMNS)})."
        )
    if len(set(columns)) != len(columns):
        raise ImportFileError(f"{name}: a column appears twice in the first row.")
    return columns


def _names(columns: list[str]) -> str:
    """The first few column names, each cut short: a refusal stays one short line."""
    shown = ", ".join(
        (c[:40] + "..." if len(c) > 40 else c) or "(empty)" for c in columns[:SHOWN_COLUMNS]
    )
    more = len(columns) - SHOWN_COLUMNS
    return f"{shown} and {more:,} more" if more > 0 else shown


def dataset_bytes(dataset: "tablib.Dataset", *, fmt: str) -> bytes:
    """The export's bytes in ``fmt`` (the resource built ``dataset``)."""
    if fmt == "csv":
        # BOM: Excel opens a CSV as UTF-8 only with it; the import accepts both.
        return ("\ufeff" + dataset.export("csv")).encode("utf-8")
    if fmt == "xlsx":
        return bytes(dataset.export("xlsx"))
    raise ImportFileError(f"Unknown format {fmt!r}: csv or xlsx.")
