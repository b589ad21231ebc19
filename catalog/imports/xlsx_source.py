"""An XLSX upload's rows, through openpyxl in read-only mode, every read bounded.

openpyxl reads the workbook from a ``GuardedZip`` (sizes checked from the zip's
directory before anything is inflated, every part watched as it is read) and its shared
strings from a table on disk (``sharedstrings``), and only the first worksheet is
opened. The sheet's own size claim (its ``<dimension>``) is never read: openpyxl would
pad every row to it. A row number far ahead makes openpyxl yield every row in between
(blank): the row limit stops that.

Whatever openpyxl raises on a broken file (a bad zip, a missing part, broken XML:
``BadZipFile``, ``KeyError``, ``ParseError``, ``IndexError``...) becomes one
``ImportFileError`` sentence; the exception itself is logged for whoever runs the system.
"""

import logging
from collections.abc import Generator
from pathlib import Path

from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.xml.constants import SHARED_STRINGS

from catalog.imports.errors import ImportFileError
from catalog.imports.limits import ImportLimits
from catalog.imports.sharedstrings import SharedStrings, read_shared_strings
from catalog.imports.zipguard import GuardedZip, not_readable

logger = logging.getLogger(__name__)


def xlsx_rows(
    path: Path, name: str, limits: ImportLimits
) -> Generator[tuple[int, list[object]], None, None]:
    """(spreadsheet row number, cells) for each row of the first worksheet."""
    reader: _Reader | None = None
    try:
        reader = _Reader(path, name, limits)
        reader.read()
        sheets = reader.wb.worksheets
        if not sheets:
            raise ImportFileError(f"{name}: the workbook has no worksheet.")
        sheet = sheets[0]
        rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
        for line, values in enumerate(rows, start=1):
            yield line, [_value(value) for value in values]
    except ImportFileError:
        raise
    except Exception as exc:
        own = _own_error(exc)
        if own is not None:
            raise own from None
        logger.info("%s: not a readable workbook (%s: %.200s)", name, type(exc).__name__, exc)
        raise not_readable(name) from None
    finally:
        if reader is not None:
            reader.close()


def _value(value: object) -> object:
    """A cell's value; openpyxl gives array and data-table formulas as objects: as their
    text, they are refused as any formula is (``layout.cell_in``)."""
    if isinstance(value, ArrayFormula):
        return value.text or "={}"
    if isinstance(value, DataTableFormula):
        return "=TABLE()"
    return value


def _own_error(exc: BaseException) -> ImportFileError | None:
    """Our refusal, raised inside openpyxl, which wraps what it reads in a ValueError."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ImportFileError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class _Reader(ExcelReader):
    """openpyxl's reader in read-only mode, on a ``GuardedZip`` and a shared-string table
    on disk. Its own ``__init__`` opens the path with a plain ``ZipFile``: that one is
    swapped for the guarded one before anything is read.

    Registry: config.upstream "openpyxl read-only reader"."""

    def __init__(self, path: Path, name: str, limits: ImportLimits) -> None:
        archive = GuardedZip(path, name=name, limits=limits)
        try:
            super().__init__(path, read_only=True, data_only=False, keep_links=False)
        except BaseException:
            archive.close()
            raise
        self.archive.close()
        self.archive: GuardedZip = archive
        self.name = name
        self.limits = limits
        self.strings: SharedStrings | None = None

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        with self.archive.open(part.PartName[1:]) as source:
            self.strings = read_shared_strings(source, name=self.name, limits=self.limits)
        self.shared_strings = self.strings

    def read_worksheets(self) -> None:
        """Only the first worksheet is imported, so only it is opened: openpyxl would read
        the start of every sheet for its size (all of it when it has no ``<dimension>``)
        and every chart sheet whole."""
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                self.wb._sheets.append(
                    _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
                )
                return

    def close(self) -> None:
        self.archive.close()
        if self.strings is not None:
            self.strings.close()


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only worksheet that does not look for its ``<dimension>`` (the import ignores
    it: ``reset_dimensions``), which openpyxl does by parsing the sheet up to it.
    Registry: config.upstream "openpyxl read-only reader"."""

    def _get_size(self) -> None:
        return None
