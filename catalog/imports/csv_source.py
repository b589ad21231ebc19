"""A CSV upload's records, read in memory bounded by the limits, not by the file.

Three places where Python's own reading would hold as much as the file gives it: a line
(``for line in handle`` reads a 100 MB file with no line break whole), a field
(``csv.field_size_limit``, 128 KB by default, raised or lowered to the cell limit here),
and a record (a quoted field may span any number of lines, and a record may have any
number of fields). Each is bounded: by ``readline(limit)``, the field limit, and a count
of the characters a record has taken, so a record longer than any row of the layout
could be is refused before it is held.
"""

import codecs
import csv
from collections.abc import Generator
from pathlib import Path
from typing import TextIO

from catalog.imports.errors import ImportFileError
from catalog.imports.limits import ImportLimits

#: Bytes decoded at a time by the UTF-8 check.
CHUNK = 1024 * 1024


def csv_rows(
    path: Path, name: str, limits: ImportLimits
) -> Generator[tuple[int, list[object]], None, None]:
    """(line where the record starts, cells) for each record of the file."""
    _refuse_other_encodings(path, name)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        # Excel writes ";" in locales where "," is the decimal mark: take the header's.
        first_line = handle.readline(limits.max_record_chars)
        handle.seek(0)
        delimiter = max(",;\t", key=first_line.count)
        lines = _BoundedLines(handle, name, limits)
        reader = csv.reader(lines, delimiter=delimiter)
        previous = csv.field_size_limit(limits.max_cell_chars)
        line = 1
        try:
            for cells in reader:
                yield line, list(cells)
                line = reader.line_num + 1
                lines.record_read()
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise ImportFileError(
                    f"{name}, line {line}: a cell longer than {limits.max_cell_chars:,} "
                    "characters (CATALOG_IMPORT_MAX_CELL_CHARS)."
                ) from None
            raise ImportFileError(f"{name}, line {line}: not readable as CSV ({exc}).") from None
        finally:
            # Process-wide: put back what another reader of CSV may expect.
            csv.field_size_limit(previous)


class _BoundedLines:
    """The file's lines for ``csv.reader``, refusing a record longer than any row can be.

    ``record_read()`` is called as each record is handed on (``csv.reader`` reads only the
    lines of the record it returns), and counts the next record from zero.
    """

    def __init__(self, handle: TextIO, name: str, limits: ImportLimits) -> None:
        self.handle = handle
        self.name = name
        self.limits = limits
        self.limit = limits.max_record_chars
        self.line = 0
        self.chars = 0

    def __iter__(self) -> "_BoundedLines":
        return self

    def __next__(self) -> str:
        text = self.handle.readline(self.limit - self.chars + 1)
        if not text:
            raise StopIteration
        self.line += 1
        self.chars += len(text)
        if self.chars > self.limit:
            raise ImportFileError(
                f"{self.name}, line {self.line}: a row longer than {self.limit:,} characters, "
                f"more than {self.limits.max_columns} cells of at most "
                f"{self.limits.max_cell_chars:,} characters could hold: not a row of the layout."
            )
        return text

    def record_read(self) -> None:
        self.chars = 0


def _refuse_other_encodings(path: Path, name: str) -> None:
    """Decode the whole file first, a chunk at a time: the error can then name its line
    (a newline is one byte in UTF-8, so no character spans two lines)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # exc.object is what the decoder held from the last chunk (no line break:
                # an incomplete character) followed by this chunk.
                line = lines + exc.object[: exc.start].count(b"\n") + 1
                raise ImportFileError(
                    f"{name}, line {line}: not UTF-8 text; save the file as CSV UTF-8."
                ) from None
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{name}, line {lines + 1}: not UTF-8 text; save the file as CSV UTF-8."
            ) from None
