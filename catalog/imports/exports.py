"""Catalog exports, CSV and XLSX, in memory that does not grow with the catalog.

The rows are read 1,000 products at a time (``resources.export_chunks``) and each variant
becomes its row through the django-import-export resource, as for any export. A CSV is
written as it is read. An XLSX goes through openpyxl's write-only mode: each row is
written to a temporary file as it is appended (openpyxl writes text as inline strings,
so there is no shared-strings table growing in memory either), then zipped into a
second temporary file, which the download reads from. Built whole in memory by tablib
instead, the 100,000-product catalog took 730 MB in a web worker (``bench/export.py``).

**Characters XML cannot carry.** XML 1.0 has no way to write most C0 control characters
(NUL among them), and openpyxl refuses a cell holding one; the import refuses them too
(with DEL and U+FFFE/U+FFFF: ``catalog.validators.CONTROL_CHARACTERS``). Forms refuse
them now, but a product may still hold one (saved before, or written by code). The XLSX
writes U+FFFD, the replacement character, in their place: the file stays valid and
importable, and the editor sees where something was (an import of the file then shows
the change, field by field, before anything is saved). Not the ``_xHHHH_`` escape of
the XLSX format: Excel decodes it back into the character (so the file would not import)
and openpyxl does not decode it at all (so the text would change in another way). Not
deleted either: a silent change nobody could see. The CSV writes the text as it is.

The admin's downloads (``catalog_export_download``) first take a slot
(``export_slots``): a limited number of exports run at once.
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from catalog.imports.export_slots import ExportPermit, export_slot_take
from catalog.imports.layout import COLUMNS, DESCRIPTION, NAME
from catalog.imports.resources import CatalogRowResource, export_chunks
from catalog.models import Category
from catalog.validators import CONTROL_CHARACTERS

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: What the XLSX writes in place of a character XML cannot carry (see the docstring).
XLSX_REPLACEMENT = "\ufffd"
#: Column widths of the XLSX, in characters (openpyxl needs them before the first row).
XLSX_WIDTHS = {NAME: 32, DESCRIPTION: 60}
XLSX_DEFAULT_WIDTH = 16
#: Bytes per chunk when a download reads the finished XLSX.
READ_SIZE = 256 * 1024


class CategoryNotFound(ValueError):
    pass


def _category(slug: str | None) -> Category | None:
    if not slug:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise CategoryNotFound(f"No category with the slug {slug!r}.")
    return category


# --- CSV -----------------------------------------------------------------------------


def catalog_export_csv_stream(*, category_slug: str | None = None) -> Iterator[bytes]:
    """The CSV export as chunks of bytes, one per 1,000 products read.

    ``CategoryNotFound`` is raised here, before the first chunk.
    """
    return _csv_chunks(_category(category_slug))


def _csv_chunks(category: Category | None) -> Iterator[bytes]:
    resource = CatalogRowResource()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # BOM: Excel opens a CSV as UTF-8 only with it; the import accepts both.
    buffer.write("\ufeff")
    writer.writerow(resource.get_export_headers())
    for variants in export_chunks(category=category):
        for variant in variants:
            writer.writerow(resource.export_resource(variant, force_native_type=True))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- XLSX ----------------------------------------------------------------------------


def xlsx_text(value: str) -> str:
    """Text as the XLSX writes it: characters XML cannot carry replaced (see the docstring)."""
    return CONTROL_CHARACTERS.sub(XLSX_REPLACEMENT, value)


def catalog_export_xlsx(
    *,
    out: IO[bytes],
    category_slug: str | None = None,
    on_chunk: Callable[[], None] | None = None,
) -> None:
    """Write the XLSX export to ``out`` (a file opened for writing, seekable or not).

    ``on_chunk`` is called after each 1,000 products (a download renews its slot there).
    """
    _write_xlsx(out, _category(category_slug), on_chunk=on_chunk)


def _write_xlsx(
    out: IO[bytes], category: Category | None, *, on_chunk: Callable[[], None] | None
) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Catalog")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        width = XLSX_WIDTHS.get(column, XLSX_DEFAULT_WIDTH)
        sheet.column_dimensions[get_column_letter(index)].width = width
    resource = CatalogRowResource()
    row = _XlsxRow(sheet)
    try:
        sheet.append(row.header(resource.get_export_headers()))
        for variants in export_chunks(category=category):
            for variant in variants:
                sheet.append(row.cells(resource.export_resource(variant, force_native_type=True)))
            if on_chunk:
                on_chunk()
        book.save(out)
    except BaseException:
        _discard(sheet)
        raise


#: Prices read as money in a spreadsheet (thousands separated, two decimals); the cell
#: keeps the number, so it sorts, sums and imports back as it was.
MONEY_FORMAT = "#,##0.00"


class _XlsxRow:
    """One row's cells: text made safe; the header bold, text with line breaks wrapped,
    prices in a money format."""

    def __init__(self, sheet: Any) -> None:
        from openpyxl.styles import Alignment, Font

        self.sheet = sheet
        self.bold = Font(bold=True)
        self.wrap = Alignment(wrap_text=True)

    def header(self, names: Iterable[str]) -> list[Any]:
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for name in names:
            cell = WriteOnlyCell(self.sheet, value=name)
            cell.font = self.bold
            cells.append(cell)
        return cells

    def cells(self, values: Iterable[Any]) -> list[Any]:
        from openpyxl.cell import WriteOnlyCell

        cells: list[Any] = []
        for value in values:
            if isinstance(value, str):
                value = xlsx_text(value)
                if "\n" in value:
                    value = WriteOnlyCell(self.sheet, value=value)
                    value.alignment = self.wrap
            elif isinstance(value, Decimal):
                value = WriteOnlyCell(self.sheet, value=value)
                value.number_format = MONEY_FORMAT
            cells.append(value)
        return cells


def _discard(sheet: Any) -> None:
    """Remove a failed export's sheet file now: openpyxl removes it when the workbook is
    saved, else only when the process exits, and a web process lives for days.
    Registry: config.upstream "openpyxl write-only sheet file"."""
    writer = sheet._writer
    if writer is None:
        return
    with suppress(Exception):
        sheet.close()
    with suppress(OSError, ValueError):
        writer.cleanup()


# --- Both: a file, a download ----------------------------------------------------------


def catalog_export_file(*, out: IO[bytes], fmt: str, category_slug: str | None = None) -> None:
    """Write the export in ``fmt`` (csv or xlsx) to ``out``, opened for writing in binary."""
    if fmt == "csv":
        for chunk in catalog_export_csv_stream(category_slug=category_slug):
            out.write(chunk)
    else:
        catalog_export_xlsx(out=out, category_slug=category_slug)


@dataclass
class Download:
    """What the admin streams: ``chunks`` must be closed (the response does it)."""

    chunks: "HeldChunks"
    content_type: str


def catalog_export_download(
    *, fmt: str, category_slug: str | None, user_id: int | None
) -> Download:
    """An export for the admin, holding export slots until its response is closed.

    ``CategoryNotFound`` before anything is taken; ``ExportBusy`` when one more export
    would be too many. A CSV is written as the client reads it; an XLSX is built here,
    into a temporary file, before the first byte is sent (a zip's directory comes last).
    """
    category = _category(category_slug)
    permit = export_slot_take(user_id=user_id)
    try:
        if fmt == "csv":
            chunks = HeldChunks(_csv_chunks(category), permit)
        else:
            # Unnamed: gone from the disk as soon as the download closes it, even if the
            # process dies. In TMPDIR; on a host where /tmp is in memory, point it at a disk.
            file = tempfile.TemporaryFile()  # noqa: SIM115 (the download closes it)
            try:
                _write_xlsx(file, category, on_chunk=permit.renew)
                file.seek(0)
            except BaseException:
                file.close()
                raise
            chunks = HeldChunks(iter(lambda: file.read(READ_SIZE), b""), permit, file.close)
    except BaseException:
        permit.release()
        raise
    return Download(chunks=chunks, content_type=CONTENT_TYPES[fmt])


class HeldChunks:
    """A download's chunks; its export slots are renewed while it is read and freed at
    ``close``, which Django calls when the response ends: done, failed, or the client
    gone, even before the first chunk (when a generator's ``finally`` would never run)."""

    def __init__(
        self, chunks: Iterator[bytes], permit: ExportPermit, *closers: Callable[[], None]
    ) -> None:
        self._chunks = chunks
        self._permit = permit
        self._closers = closers

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self._permit.renew()
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
            for closer in self._closers:
                closer()
        finally:
            self._permit.release()
