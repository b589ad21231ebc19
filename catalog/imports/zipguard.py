"""An XLSX's zip, opened without trusting it: sizes checked before anything is inflated.

An XLSX is a zip of XML parts, and its compressed size says little about what it holds:
311 KB inflated to a 300 MB shared string took the import worker to 1.23 GB. So, in order:

1. ``check_directory``: the end-of-directory record is read by hand first, because
   ``ZipFile`` loads every entry of the directory (a 100 MB zip can list a million).
2. ``GuardedZip``: from the zip's central directory, before any part is inflated, the
   parts' inflated sizes together (``CATALOG_IMPORT_XLSX_MAX_BYTES``) and each large
   part's compression ratio (``CATALOG_IMPORT_XLSX_MAX_RATIO``; a zip bomb inflates
   hundreds or thousands of times, a workbook's XML about 15). ``zipfile`` never inflates
   a part beyond the size the directory declares (it stops there and checks the CRC),
   so these figures bound what is read.
3. Every part openpyxl reads goes through ``GuardedZip.open``: a part read whole must be
   under ``CATALOG_IMPORT_XLSX_MAX_PART_BYTES`` (checked before it is inflated); a part
   read as a stream (a worksheet, the shared strings) is watched as it is read, so that
   no stretch between two rows (or two shared strings) holds more bytes or XML elements
   than a row of the layout can: ElementTree builds each row whole before openpyxl sees
   it. Every part is refused if it has a DOCTYPE, an entity declaration or a CDATA
   section (``<!`` other than a comment): no workbook needs them, and they are how XXE,
   "billion laughs" and a text that hides the row markers get in.
"""

import re
import struct
import zipfile
from pathlib import Path
from typing import IO, Any

from catalog.imports.errors import ImportFileError
from catalog.imports.limits import ImportLimits

_END_OF_DIRECTORY = b"PK\x05\x06"
#: A workbook's directory lists a few dozen parts in a few KB; this is 20,000 entries.
MAX_DIRECTORY_BYTES = 1024 * 1024
#: Parts smaller than this may compress as well as they like (a theme, a style sheet).
RATIO_FROM_BYTES = 1024 * 1024
#: XML elements in a part read whole (a large workbook's style sheet has tens of thousands).
MAX_PART_ELEMENTS = 250_000
#: Bytes of a streamed part read (and watched) at a time.
STREAM_PIECE = 1024 * 1024
#: Bytes a cell's text can take in XML, per character (``&#1114111;`` is ten).
_XML_BYTES_PER_CHAR = 10

#: A row (worksheet) or a shared string (``<si>``), with or without a namespace prefix.
_MARKER = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:row|si)[\s/>]")
#: ``<!`` not starting a comment: DOCTYPE, ENTITY, CDATA.
_DECLARATION = re.compile(rb"<!(?!--)")


def _mb(size: int) -> str:
    if size < 1_000_000:
        return f"{size / 1e3:,.1f} KB"
    return f"{size / 1e6:,.1f} MB"


def check_directory(path: Path, name: str) -> None:
    """Refuse a zip whose directory is larger than a workbook's, before ``ZipFile`` reads it."""
    size = path.stat().st_size
    tail_size = min(size, 22 + 65535)  # the record, and the longest comment after it
    with path.open("rb") as handle:
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < 22:
        raise not_readable(name)
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries == 0xFFFF or directory_bytes > MAX_DIRECTORY_BYTES:
        raise ImportFileError(
            f"{name}: its zip directory is {directory_bytes:,} bytes, a workbook's is a few KB: "
            "not a workbook this import reads."
        )


def not_readable(name: str) -> ImportFileError:
    return ImportFileError(
        f"{name}: not a readable .xlsx workbook; open it in Excel or LibreOffice and save it "
        "again as .xlsx, or save it as CSV UTF-8."
    )


class GuardedZip(zipfile.ZipFile):
    """A ``ZipFile`` whose every read is bounded (see the module docstring)."""

    def __init__(self, path: Path, *, name: str, limits: ImportLimits) -> None:
        check_directory(path, name)
        super().__init__(path)
        self.display_name = name
        self.limits = limits
        self._check_sizes()

    def _check_sizes(self) -> None:
        limits, total = self.limits, 0
        for info in self.infolist():
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_FROM_BYTES and ratio > limits.xlsx_max_ratio:
                raise ImportFileError(
                    f"{self.display_name}: its part {info.filename[:80]} would inflate "
                    f"{ratio:,.0f} times, from {_mb(info.compress_size)} to "
                    f"{_mb(info.file_size)}; a workbook's parts inflate at most "
                    f"{limits.xlsx_max_ratio} times (CATALOG_IMPORT_XLSX_MAX_RATIO): refused "
                    "unread."
                )
        if total > limits.xlsx_max_bytes:
            raise ImportFileError(
                f"{self.display_name}: would inflate to {_mb(total)}; at most "
                f"{_mb(limits.xlsx_max_bytes)} (CATALOG_IMPORT_XLSX_MAX_BYTES): refused unread."
            )

    def open(self, name: Any, mode: Any = "r", pwd: Any = None, **kwargs: Any) -> Any:
        stream = super().open(name, mode, pwd, **kwargs)
        if mode != "r":
            return stream
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        return GuardedStream(stream, info, self)


class GuardedStream:
    """One part being read: whole (``read()``) within the part limit, or in pieces
    (``read(n)``) with no stretch between markers larger than a row of the layout."""

    def __init__(self, stream: IO[bytes], info: zipfile.ZipInfo, archive: GuardedZip) -> None:
        self.stream = stream
        self.info = info
        self.name = archive.display_name
        limits = archive.limits
        self.part_limit = limits.xlsx_max_part_bytes
        self.stretch_bytes = limits.max_columns * (
            _XML_BYTES_PER_CHAR * limits.max_cell_chars + 256
        )
        self.stretch_elements = max(10_000, 16 * limits.max_columns)
        self.position = 0  # bytes read so far
        self.stretch_start = 0  # where the current stretch began
        self.elements = 0  # XML elements ("<") in the current stretch
        self.tail = b""  # the last bytes read, for a marker cut in two
        self.buffer = b""  # read and watched, not yet handed on
        self.offset = 0

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            if self.info.file_size > self.part_limit:
                raise ImportFileError(
                    f"{self.name}: its part {self.info.filename[:80]} is "
                    f"{_mb(self.info.file_size)} inflated; at most {_mb(self.part_limit)} "
                    "(CATALOG_IMPORT_XLSX_MAX_PART_BYTES): refused unread."
                )
            data = self.stream.read()
            self._refuse_declarations(data)
            if data.count(b"<") > MAX_PART_ELEMENTS:
                raise ImportFileError(
                    f"{self.name}: its part {self.info.filename[:80]} has more than "
                    f"{MAX_PART_ELEMENTS:,} XML elements: not a workbook this import reads."
                )
            return data
        if self.offset >= len(self.buffer):
            # Read and watch a large piece at once (the parser asks for 16 KB at a time).
            self.buffer = self.stream.read(max(size, STREAM_PIECE))
            self.offset = 0
            self._watch(self.buffer)
        data = self.buffer[self.offset : self.offset + size]
        self.offset += len(data)
        return data

    def _refuse_declarations(self, data: bytes) -> None:
        if _DECLARATION.search(data):
            raise ImportFileError(
                f"{self.name}: its part {self.info.filename[:80]} declares a DOCTYPE, an "
                "entity or a CDATA section, which no workbook needs: refused."
            )

    def _watch(self, data: bytes) -> None:
        window = self.tail + data
        base = self.position - len(self.tail)  # where the window starts in the part
        self._refuse_declarations(window)
        counted = 0  # in data: "<" counted up to here
        for marker in _MARKER.finditer(window):
            at = base + marker.start()
            if at <= self.stretch_start:
                continue  # seen in the last window already
            end = max(0, at - self.position)
            self.elements += data.count(b"<", counted, end)
            counted = end
            self._check_stretch(at)
            self.stretch_start, self.elements = at, 0
        self.elements += data.count(b"<", counted)
        self.position += len(data)
        self._check_stretch(self.position)
        self.tail = window[-16:]

    def _check_stretch(self, upto: int) -> None:
        if upto - self.stretch_start > self.stretch_bytes or self.elements > self.stretch_elements:
            raise ImportFileError(
                f"{self.name}: its part {self.info.filename[:80]} holds, at byte "
                f"{self.stretch_start:,}, a row larger than any row of the layout can be "
                f"({self.stretch_elements:,} XML elements or {_mb(self.stretch_bytes)}): "
                "not a workbook this import reads."
            )

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> "GuardedStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def readable(self) -> bool:
        return True
