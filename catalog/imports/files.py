"""Reading an uploaded file into rows, and writing an export: CSV (UTF-8) and XLSX.

A bad file is refused whole, before any row is looked at, with one sentence an editor
can act on (``ImportFileError``): too large, not UTF-8, not a spreadsheet, a column
missing or unknown, a formula in a cell.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import tablib
from django.conf import settings

from catalog.imports.layout import COLUMNS, FormulaCell, cell_in

FORMATS = ("csv", "xlsx")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message is one sentence for the user."""


@dataclass(frozen=True)
class Row:
    #: The line (CSV) or spreadsheet row number the editor sees, the header being 1.
    line: int
    values: dict[str, str]


def file_format(name: str) -> str:
    """``csv`` or ``xlsx`` from the file's name; anything else is refused."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ImportFileError(f"{name}: not a .csv or .xlsx file.")
    return suffix


def max_bytes() -> int:
    return int(settings.CATALOG_IMPORT_MAX_BYTES)


def read_rows(path: Path, *, name: str | None = None) -> tuple[list[Row], int]:
    """Every data row of the file (blank rows skipped) and the number of lines read.

    ``name`` is what the user called the file (an upload is stored under another name).
    """
    name = name or path.name
    size = path.stat().st_size
    if size > max_bytes():
        raise ImportFileError(
            f"{name} is {size / 1e6:.1f} MB; the largest file accepted is "
            f"{max_bytes() / 1e6:.1f} MB (CATALOG_IMPORT_MAX_BYTES)."
        )
    fmt = file_format(name)
    raw_rows = _csv_rows(path, name) if fmt == "csv" else _xlsx_rows(path, name)
    line = 1
    try:
        header = next(raw_rows, None)
        if header is None:
            raise ImportFileError(f"{name} is empty: the first row must name the columns.")
        columns = _header(header, name)
        rows: list[Row] = []
        for line, raw in enumerate(raw_rows, start=2):
            cells = [cell_in(cell) for cell in raw]
            if not any(cells):
                continue
            cells += [""] * (len(columns) - len(cells))
            rows.append(Row(line=line, values=dict(zip(columns, cells, strict=False))))
    except FormulaCell as exc:
        raise ImportFileError(
            f"{name}, line {line}: the cell {str(exc)[:40]!r} starts with =, +, -, @ "
            "(a formula in a spreadsheet): formulas are refused; write the value itself."
        ) from None
    return rows, line


def _header(raw: list[object], name: str) -> list[str]:
    try:
        columns = [cell_in(cell).lower() for cell in raw]
    except FormulaCell:
        raise ImportFileError(f"{name}: the first row must name the columns.") from None
    while columns and not columns[-1]:
        columns.pop()
    missing = [c for c in COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in COLUMNS]
    if missing:
        raise ImportFileError(f"{name}: missing columns: {', '.join(missing)}.")
    if unknown:
        raise ImportFileError(
            f"{name}: unknown columns: {', '.join(c or '(empty)' for c in unknown)} "
            f"(expected {', '.join(COLUMNS)})."
        )
    if len(set(columns)) != len(columns):
        raise ImportFileError(f"{name}: a column appears twice in the first row.")
    return columns


def _csv_rows(path: Path, name: str) -> Iterator[list[object]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{name}, line {line}: not UTF-8 text; save the file as CSV UTF-8."
        ) from None
    # Excel writes ";" in locales where "," is the decimal mark: take the header's.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise ImportFileError(f"{name}: not a readable CSV file ({exc}).") from None


def _xlsx_rows(path: Path, name: str) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet; formulas stay formulas (data_only=False).
        book = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ImportFileError(f"{name}: not a readable .xlsx workbook.") from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def dataset_bytes(dataset: "tablib.Dataset", *, fmt: str) -> bytes:
    """The export's bytes in ``fmt`` (the resource built ``dataset``)."""
    if fmt == "csv":
        # BOM: Excel opens a CSV as UTF-8 only with it; the import accepts both.
        return ("\ufeff" + dataset.export("csv")).encode("utf-8")
    if fmt == "xlsx":
        return bytes(dataset.export("xlsx"))
    raise ImportFileError(f"Unknown format {fmt!r}: csv or xlsx.")
