"""Import files built to hurt, for the tests and ``bench/hostile_imports.py``.

Each writes its file as a stream (a 300 MB shared string is never held in memory here),
and the workbooks are written part by part with ``zipfile``, the way a hostile tool
would: openpyxl itself refuses to write most of them.
"""

import base64
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

from catalog.imports.layout import COLUMNS

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
    f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def header_strings() -> list[str]:
    """The shared strings of a workbook whose header row is the layout's columns."""
    return list(COLUMNS)


def shared_row(number: int, indexes: Iterable[int]) -> str:
    """A sheet row whose cells are the shared strings ``indexes``."""
    cells = "".join(
        f'<c r="{_column(i)}{number}" t="s"><v>{index}</v></c>' for i, index in enumerate(indexes)
    )
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows: Iterable[str], *, prolog: str = "") -> str:
    return f'{prolog}<worksheet xmlns="{_MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'


def shared_strings_xml(strings: Iterable[str], *, prolog: str = "") -> str:
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    return f'{prolog}<sst xmlns="{_MAIN}">{items}</sst>'


def write_workbook(
    path: Path, parts: dict[str, str | bytes | Iterable[bytes]], *, compress: bool = True
) -> Path:
    """A zip of the standard parts, with ``parts`` added or replacing them; a part given as
    an iterable of bytes is written as it comes (never whole in memory)."""
    every: dict[str, str | bytes | Iterable[bytes]] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet_xml([shared_row(1, range(len(COLUMNS)))]),
        "xl/sharedStrings.xml": shared_strings_xml(header_strings()),
    }
    every.update(parts)
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method, compresslevel=9 if compress else None) as archive:
        for name, content in every.items():
            if isinstance(content, str):
                archive.writestr(name, content.encode("utf-8"))
            elif isinstance(content, bytes):
                archive.writestr(name, content)
            else:
                with archive.open(name, "w", force_zip64=False) as out:
                    for piece in content:
                        out.write(piece)
    return path


def xlsx_bomb(path: Path, *, string_bytes: int, random_text: bool = False) -> Path:
    """A workbook whose second row holds one shared string of ``string_bytes`` letters:
    300 MB compress to about 300 KB (the finding H2 of issue #22). ``random_text``: base64
    of random bytes instead, which compresses too little for the ratio check to see."""

    def strings() -> Iterable[bytes]:
        yield shared_strings_xml(header_strings()).removesuffix("</sst>").encode()
        yield b"<si><t>"
        left = string_bytes
        while left > 0:
            piece = base64.b64encode(os.urandom(768 * 1024)) if random_text else b"A" * 1024 * 1024
            yield piece[: min(left, len(piece))]
            left -= len(piece)
        yield b"</t></si></sst>"

    sheet = sheet_xml([shared_row(1, range(len(COLUMNS))), shared_row(2, [len(COLUMNS)])])
    return write_workbook(
        path, {"xl/sharedStrings.xml": strings(), "xl/worksheets/sheet1.xml": sheet}
    )


def junk_csv(path: Path, *, rows: int) -> Path:
    """The layout's header, then ``rows`` lines of one junk letter (2 MB for a million rows:
    the finding H1 of issue #22)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        block = "x\n" * 10_000
        for _ in range(rows // 10_000):
            out.write(block)
        out.write("x\n" * (rows % 10_000))
    return path


def wide_header_csv(path: Path, *, columns: int) -> Path:
    """A header of the layout's columns followed by ``columns`` more, and one row."""
    extra = ",".join(f"extra{n}" for n in range(columns))
    path.write_text(",".join(COLUMNS) + "," + extra + "\n" + "x\n", encoding="utf-8")
    return path


def excel_style_workbook(path: Path, rows: Iterable[list[str]]) -> Path:
    """A workbook of ``rows`` as Excel writes one: every distinct text once, in the shared
    strings, the cells referring to it by index (openpyxl itself writes inline strings)."""
    from xml.sax.saxutils import escape

    index: dict[str, int] = {}
    sheet: list[bytes] = []
    for number, values in enumerate(rows, start=1):
        refs = [index.setdefault(value, len(index)) for value in values]
        sheet.append(shared_row(number, refs).encode())

    def sheet_parts() -> Iterable[bytes]:
        yield f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode()
        yield from sheet
        yield b"</sheetData></worksheet>"

    def string_parts() -> Iterable[bytes]:
        yield f'<sst xmlns="{_MAIN}" uniqueCount="{len(index)}">'.encode()
        for text in index:
            yield f"<si><t>{escape(text)}</t></si>".encode()
        yield b"</sst>"

    return write_workbook(
        path, {"xl/worksheets/sheet1.xml": sheet_parts(), "xl/sharedStrings.xml": string_parts()}
    )
