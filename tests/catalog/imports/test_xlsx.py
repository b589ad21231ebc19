"""A workbook is read within bounds: sizes from the zip's directory before anything is
inflated, every part watched as it is read, and any broken file one sentence (#22)."""

import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from catalog.imports.errors import ImportFileError
from catalog.imports.files import read_rows
from catalog.imports.layout import COLUMNS
from testkit.hostile_files import (
    header_strings,
    shared_row,
    shared_strings_xml,
    sheet_xml,
    write_workbook,
    xlsx_bomb,
)
from tests.catalog.imports.conftest import row

NOT_READABLE = r"^book.xlsx: not a readable \.xlsx workbook; open it in Excel"


def _read(path):
    return list(read_rows(path))


def _book(tmp_path, **parts):
    return write_workbook(tmp_path / "book.xlsx", parts)


def _with_row(values: list[str]):
    """Parts of a workbook with the header and one row of ``values`` (shared strings)."""
    strings = [*header_strings(), *values]
    first = len(COLUMNS)
    return {
        "xl/sharedStrings.xml": shared_strings_xml(strings),
        "xl/worksheets/sheet1.xml": sheet_xml(
            [shared_row(1, range(first)), shared_row(2, range(first, first + len(values)))]
        ),
    }


def test_a_workbook_written_part_by_part_is_read(tmp_path):
    [read] = _read(_book(tmp_path, **_with_row(list(row().values()))))

    assert read.values == row()


def test_the_bomb_is_refused_from_the_zip_directory_before_anything_is_inflated(tmp_path):
    path = xlsx_bomb(tmp_path / "bomb.xlsx", string_bytes=8 * 1024 * 1024)

    with pytest.raises(ImportFileError) as refused:
        _read(path)

    assert str(refused.value).startswith("bomb.xlsx: its part xl/sharedStrings.xml would inflate ")
    assert "(CATALOG_IMPORT_XLSX_MAX_RATIO): refused unread." in str(refused.value)


_WIDE_WORKBOOK = (
    "<workbook " + " " * 2000 + '><sheets><sheet name="S" sheetId="1"/></sheets></workbook>'
)
#: (setting, its value, the workbook's parts, the refusal)
LIMITS = {
    "all parts inflated": (
        "CATALOG_IMPORT_XLSX_MAX_BYTES",
        2000,
        _with_row(["x" * 3000]),
        r"would inflate to .*CATALOG_IMPORT_XLSX_MAX_BYTES",
    ),
    "a part read whole, before it is inflated": (
        "CATALOG_IMPORT_XLSX_MAX_PART_BYTES",
        1000,
        {"xl/workbook.xml": _WIDE_WORKBOOK},
        r"its part xl/workbook.xml is 2\.\d KB inflated",
    ),
    "a shared string longer than a cell, as it is read": (
        "CATALOG_IMPORT_MAX_CELL_CHARS",
        100,
        _with_row(["s" * 101]),
        r"shared string 14 is longer than 100 characters",
    ),
    "shared strings": (
        "CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS",
        13,
        _with_row(["one more"]),
        r"more than 13 shared strings",
    ),
}


@pytest.mark.parametrize(("setting", "value", "parts", "refusal"), LIMITS.values(), ids=LIMITS)
def test_each_workbook_limit_refuses_in_one_sentence(
    tmp_path, settings, setting, value, parts, refusal
):
    setattr(settings, setting, value)
    path = _book(tmp_path, **parts)

    with pytest.raises(ImportFileError, match=refusal):
        _read(path)


def test_a_row_larger_than_the_layout_allows_is_refused_while_the_sheet_streams(tmp_path, settings):
    settings.CATALOG_IMPORT_MAX_CELL_CHARS = 100  # a row of at most 50 x 1,256 bytes of XML
    inline = f'<c r="A2" t="inlineStr"><is><t>{"i" * 100_000}</t></is></c>'
    sheet = sheet_xml([shared_row(1, range(len(COLUMNS))), f'<row r="2">{inline}</row>'])
    path = _book(tmp_path, **{"xl/worksheets/sheet1.xml": sheet})

    with pytest.raises(ImportFileError, match=r"a row larger than any row of the layout can be"):
        _read(path)


def test_a_flood_of_elements_in_one_row_is_refused_while_the_sheet_streams(tmp_path):
    flood = "<x/>" * 50_000
    sheet = sheet_xml([shared_row(1, range(len(COLUMNS))), f'<row r="2">{flood}</row>'])
    path = _book(tmp_path, **{"xl/worksheets/sheet1.xml": sheet})

    with pytest.raises(ImportFileError, match=r"10,000 XML elements"):
        _read(path)


def test_a_row_number_far_ahead_stops_at_the_row_limit(tmp_path, settings):
    settings.CATALOG_IMPORT_MAX_ROWS = 100
    sheet = sheet_xml([shared_row(1, range(len(COLUMNS))), shared_row(10**9, [0])])
    path = _book(tmp_path, **{"xl/worksheets/sheet1.xml": sheet})

    with pytest.raises(ImportFileError, match=r"more than 100 rows"):
        _read(path)


def test_the_sheets_size_claim_is_not_used(tmp_path):
    """openpyxl pads every row to the ``<dimension>``; 16,384 columns would be refused."""
    rows = [shared_row(1, range(len(COLUMNS)))]
    sheet = sheet_xml(rows).replace("<sheetData>", '<dimension ref="A1:XFD2"/><sheetData>')
    path = _book(tmp_path, **{"xl/worksheets/sheet1.xml": sheet})

    assert _read(path) == []


_XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {b} "{("&" + a + ";") * 10}">'
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)


@pytest.mark.parametrize("prolog", [_XXE, _LAUGHS], ids=["xxe", "billion-laughs"])
def test_entities_in_the_sheet_are_refused(tmp_path, prolog):
    rows = [
        shared_row(1, range(len(COLUMNS))),
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&secret;&i;</t></is></c></row>',
    ]
    path = _book(tmp_path, **{"xl/worksheets/sheet1.xml": sheet_xml(rows, prolog=prolog)})

    with pytest.raises(ImportFileError, match=r"sheet1.xml declares a DOCTYPE, an entity"):
        _read(path)


@pytest.mark.parametrize("prolog", [_XXE, _LAUGHS], ids=["xxe", "billion-laughs"])
def test_entities_in_the_shared_strings_are_refused(tmp_path, prolog):
    strings = shared_strings_xml([*header_strings(), "&secret;&i;"], prolog=prolog)
    path = _book(tmp_path, **{"xl/sharedStrings.xml": strings})

    with pytest.raises(ImportFileError, match=r"DOCTYPE"):
        _read(path)


@pytest.mark.parametrize("prolog", [_XXE, _LAUGHS], ids=["xxe", "billion-laughs"])
def test_entities_in_a_part_read_whole_are_refused(tmp_path, prolog):
    path = _book(tmp_path, **{"xl/workbook.xml": prolog + "<workbook>&i;&secret;</workbook>"})

    with pytest.raises(ImportFileError, match=r"workbook.xml declares a DOCTYPE"):
        _read(path)


def _zip_without(tmp_path, part):
    source = _book(tmp_path)
    target = tmp_path / "book2.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename != part:
                new.writestr(info, old.read(info.filename))
    target.replace(source)
    return source


def _corrupt(path, old: bytes, new: bytes):
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    return path


MALFORMED = {
    "not a zip": lambda tmp: (tmp / "book.xlsx").write_bytes(b"PK\x03\x04 not really") and None,
    "no content types": lambda tmp: _zip_without(tmp, "[Content_Types].xml"),
    "no workbook part": lambda tmp: _zip_without(tmp, "xl/workbook.xml"),
    "broken sheet xml": lambda tmp: _book(
        tmp, **{"xl/worksheets/sheet1.xml": "<worksheet><sheetData><row>"}
    ),
    "broken shared strings": lambda tmp: _book(tmp, **{"xl/sharedStrings.xml": "<sst><si><t>"}),
    "shared string out of range": lambda tmp: _book(
        tmp, **{"xl/worksheets/sheet1.xml": sheet_xml([shared_row(1, [999])])}
    ),
    "broken workbook xml": lambda tmp: _book(tmp, **{"xl/workbook.xml": "<workbook><sheets"}),
    "bad row number": lambda tmp: _book(
        tmp, **{"xl/worksheets/sheet1.xml": sheet_xml(['<row r="x"><c r="A1"/></row>'])}
    ),
    "bad crc": lambda tmp: _corrupt(
        write_workbook(tmp / "book.xlsx", {}, compress=False), b"product_sku", b"product_skU"
    ),
}


@pytest.mark.parametrize("make", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_workbook_is_one_sentence(tmp_path, make):
    make(tmp_path)

    with pytest.raises(ImportFileError, match=NOT_READABLE) as refused:
        _read(tmp_path / "book.xlsx")

    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_a_workbook_with_no_worksheet_says_so(tmp_path, part):
    if part == "xl/workbook.xml":
        workbook = '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
        _book(tmp_path, **{part: workbook})
    else:
        _zip_without(tmp_path, part)

    with pytest.raises(ImportFileError, match=r"^book.xlsx: the workbook has no worksheet\.$"):
        _read(tmp_path / "book.xlsx")


def test_an_array_formula_is_refused(tmp_path):
    from openpyxl.worksheet.formula import ArrayFormula

    book = Workbook()
    book.active.append(list(row()))
    book.active.append(list(row().values()))
    book.active["B2"] = ArrayFormula("B2", "=SUM(A1:A2)")
    path = tmp_path / "array.xlsx"
    book.save(path)

    with pytest.raises(ImportFileError, match=r"line 2: the cell '=SUM\(A1:A2\)'"):
        _read(path)


def test_shared_strings_read_as_openpyxl_reads_them(tmp_path):
    """Rich-text runs are joined, phonetic runs left out, openpyxl's x005F_ undone."""
    rich = (
        "<si><r><t>Blue </t></r><r><rPr><b/></rPr><t>shirt</t></r>"
        '<rPh sb="0" eb="1"><t>x</t></rPh></si>'
    )
    escaped = "<si><t>a_x005F_x0041_b</t></si>"
    strings = shared_strings_xml(header_strings()).replace("</sst>", rich + escaped + "</sst>")
    first = len(COLUMNS)
    sheet = sheet_xml([shared_row(1, range(first)), shared_row(2, [first, first + 1])])
    path = _book(tmp_path, **{"xl/sharedStrings.xml": strings, "xl/worksheets/sheet1.xml": sheet})

    [read] = _read(path)
    theirs = list(load_workbook(path, read_only=True).worksheets[0].values)[1]

    assert (read.values["product_sku"], read.values["name"]) == theirs[:2]
    assert theirs[:2] == ("Blue shirt", "a_x0041_b")
