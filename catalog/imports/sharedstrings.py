"""An XLSX's shared strings, kept on disk while the workbook is read.

Excel writes each distinct text of a workbook once, in ``xl/sharedStrings.xml``, and the
cells refer to it by index. openpyxl (even in read-only mode) loads that table whole into
a list: a valid file of a million rows has a few million strings (hundreds of MB in
memory), and one crafted string can be as large as the part. Here the table is parsed
as a stream (expat), each string is checked as it arrives (``CATALOG_IMPORT_MAX_CELL_CHARS``,
and at most ``CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS`` of them), written to a temporary
file, and read back by index: 8 bytes of memory per string.

The text of a string is what openpyxl's ``Text.content`` gives (the ``<t>`` of the
``<si>`` and of its rich-text runs ``<r>``, not the phonetic ``<rPh>``), with
openpyxl's ``x005F_`` unescaping, so a cell reads the same either way.
"""

import mmap
import tempfile
from array import array
from collections.abc import Sequence
from typing import IO, overload
from xml.parsers import expat

from catalog.imports.errors import ImportFileError
from catalog.imports.limits import ImportLimits


class SharedStrings(Sequence[str]):
    """The table, appended to while parsed, then read by index."""

    def __init__(self) -> None:
        # Closed by close(), which the reader calls when the workbook is done with.
        self._file = tempfile.TemporaryFile(prefix="catalog-import-strings-")  # noqa: SIM115
        self._offsets = array("q", [0])
        self._map: mmap.mmap | None = None

    def append(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._file.write(data)
        self._offsets.append(self._offsets[-1] + len(data))

    def seal(self) -> None:
        self._file.flush()
        if self._offsets[-1]:
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            raise TypeError("shared strings are read one at a time")
        if not 0 <= index < len(self):
            raise IndexError(f"no shared string {index}")
        start, end = self._offsets[index], self._offsets[index + 1]
        if self._map is None:
            return ""
        return self._map[start:end].decode("utf-8", "surrogatepass")

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        self._file.close()


def read_shared_strings(source: IO[bytes], *, name: str, limits: ImportLimits) -> SharedStrings:
    """Parse ``xl/sharedStrings.xml`` from ``source`` into a ``SharedStrings`` table."""
    table = SharedStrings()
    try:
        _Parser(table, name, limits).parse(source)
    except BaseException:
        table.close()
        raise
    table.seal()
    return table


class _Parser:
    def __init__(self, table: SharedStrings, name: str, limits: ImportLimits) -> None:
        self.table = table
        self.name = name
        self.max_chars = limits.max_cell_chars
        self.max_strings = limits.xlsx_max_shared_strings
        self.stack: list[str] = []
        self.parts: list[str] = []
        self.chars = 0
        self.collecting = False

    def parse(self, source: IO[bytes]) -> None:
        parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.doctype
        parser.ParseFile(source)

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        local = tag.rpartition(":")[2]
        if local == "si":
            self.parts, self.chars = [], 0
        elif local == "t" and self.stack:
            parent = self.stack[-1]
            self.collecting = parent == "si" or (
                parent == "r" and len(self.stack) > 1 and self.stack[-2] == "si"
            )
        self.stack.append(local)

    def end(self, tag: str) -> None:
        local = self.stack.pop()
        if local == "t":
            self.collecting = False
        elif local == "si":
            if len(self.table) >= self.max_strings:
                raise ImportFileError(
                    f"{self.name}: more than {self.max_strings:,} shared strings "
                    "(CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS)."
                )
            self.table.append("".join(self.parts).replace("x005F_", ""))

    def text(self, data: str) -> None:
        if self.collecting:
            self.chars += len(data)
            if self.chars > self.max_chars:
                raise ImportFileError(
                    f"{self.name}: shared string {len(self.table) + 1:,} is longer than "
                    f"{self.max_chars:,} characters (CATALOG_IMPORT_MAX_CELL_CHARS)."
                )
            self.parts.append(data)

    def doctype(self, *args: object) -> None:
        raise ImportFileError(
            f"{self.name}: its shared strings declare a DOCTYPE or an entity, which no "
            "workbook needs: refused."
        )
