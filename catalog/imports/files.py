"""Reading an uploaded file into rows, and writing an export: CSV (UTF-8) and XLSX.

A bad file is refused whole, before any row is looked at, with one sentence an editor
can act on (``ImportFileError``): too large, not UTF-8, not a spreadsheet, a column
missing or unknown, a formula in a cell.
"""

import csv
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


def read_rows(path: Path, *, name: str | None = None) -> Iterator[Row]:
    """Every data row of the file, blank rows skipped, read as they are needed.

    A generator: a row is read, checked and handed on, never kept, so an import of
    300,000 rows holds its products in memory, not its rows. ``ImportFileError`` comes
    out of the iteration, the first time a problem is met. ``name`` is what the user
    called the file (an upload is stored under another name).
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
        first = next(raw_rows, None)
        if first is None:
            raise ImportFileError(f"{name} is empty: the first row must name the columns.")
        columns = _header(first[1], name)
        for line, raw in raw_rows:
            cells = [cell_in(cell) for cell in raw]
            if not any(cells):
                continue
            cells += [""] * (len(columns) - len(cells))
            yield Row(line=line, values=dict(zip(columns, cells, strict=False)))
    except FormulaCell as exc:
        raise ImportFileError(
            f"{name}, line {line}: the cell {str(exc)[:40]!r} starts with =, +, -, @ "
            "(a formula in a spreadsheet): formulas are refused; write the value itself."
        ) from None


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


def _refuse_other_encodings(path: Path, name: str) -> None:
    """Decode line by line first: the error can then name its line (a newline is one
    byte in UTF-8, so no character spans two lines)."""
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"{name}, line {line}: not UTF-8 text; save the file as CSV UTF-8."
                ) from None


def _csv_rows(path: Path, name: str) -> Iterator[tuple[int, list[object]]]:
    """(line where the record starts, cells) for each record of the file."""
    _refuse_other_encodings(path, name)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        # Excel writes ";" in locales where "," is the decimal mark: take the header's.
        first_line = handle.readline()
        handle.seek(0)
        delimiter = max(",;\t", key=first_line.count)
        reader = csv.reader(handle, delimiter=delimiter)
        line = 1
        try:
            for cells in reader:
                yield line, list(cells)
                line = reader.line_num + 1
        except csv.Error as exc:
            raise ImportFileError(f"{name}, line {line}: not readable as CSV ({exc}).") from None


def _xlsx_rows(path: Path, name: str) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet; formulas stay formulas (data_only=False).
        book = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ImportFileError(f"{name}: not a readable .xlsx workbook.") from None
    try:
        sheet = book.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, list(values)
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
