"""A bad file is refused whole with one sentence, before any row is read."""

import pytest

from catalog.imports.files import ImportFileError, read_rows
from catalog.imports.layout import cell_in, cell_out
from testkit.hostile_files import wide_header_csv
from tests.catalog.imports.conftest import row


def test_a_csv_in_another_encoding_is_refused_with_the_line(csv_file):
    path = csv_file([row(), row(variant_sku="NEW-1-L", name="Chemise été")], encoding="latin-1")

    with pytest.raises(ImportFileError, match=r"catalog.csv, line 3: not UTF-8"):
        list(read_rows(path))


def test_a_missing_column_is_named(csv_file):
    path = csv_file([row()], columns=[c for c in row() if c != "price"])

    with pytest.raises(ImportFileError, match="missing columns: price"):
        list(read_rows(path))


def test_an_unknown_column_is_named(csv_file):
    path = csv_file([row()], columns=[*row(), "weight"])

    with pytest.raises(ImportFileError, match="unknown columns: weight"):
        list(read_rows(path))


def test_a_file_over_the_size_limit_is_refused(csv_file, settings):
    path = csv_file([row()])
    settings.CATALOG_IMPORT_MAX_BYTES = path.stat().st_size - 1

    with pytest.raises(ImportFileError, match="CATALOG_IMPORT_MAX_BYTES"):
        list(read_rows(path))


@pytest.mark.parametrize(
    "formula",
    [
        *["=1+2", "+A1", "-A1*2", "@SUM(A1)", '=HYPERLINK("x")'],
        # Behind leading whitespace too: the cell is stored trimmed (#22).
        *[" =1+2", "  +A1", "\t=cmd|' /C calc'!A0", "\u00a0@SUM(A1)"],
    ],
)
def test_a_formula_in_any_cell_is_refused(csv_file, formula):
    path = csv_file([row(), row(variant_sku="NEW-1-L", colour=formula)])

    with pytest.raises(ImportFileError, match=r"line 3: the cell .* formula"):
        list(read_rows(path))


def test_a_negative_number_is_not_a_formula(csv_file):
    rows = list(read_rows(csv_file([row(price="-5")])))

    assert rows[0].values["price"] == "-5"


def test_text_that_starts_like_a_formula_survives_export_then_import():
    for text in ["=not a formula", "- a bullet", "'=already quoted", "plain"]:
        assert cell_in(cell_out(text)) == text


def test_an_unreadable_workbook_is_refused(tmp_path):
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(b"not a zip file")

    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx workbook"):
        list(read_rows(path))


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(tmp_path):
    path = tmp_path / "catalog.ods"
    path.write_bytes(b"x")

    with pytest.raises(ImportFileError, match=r"not a \.csv or \.xlsx file"):
        list(read_rows(path))


def test_a_semicolon_separated_csv_is_read(tmp_path):
    path = tmp_path / "catalog.csv"
    header = ";".join(row())
    path.write_text(header + "\n" + ";".join(row().values()) + "\n", encoding="utf-8")

    rows = list(read_rows(path))

    assert rows[0].values["price"] == "19.90"


def test_a_formula_in_a_workbook_is_refused(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(row()))
    sheet.append([*list(row().values())[:-1], "=SUM(1,2)"])
    path = tmp_path / "catalog.xlsx"
    book.save(path)

    with pytest.raises(ImportFileError, match=r"line 2: the cell '=SUM\(1,2\)'"):
        list(read_rows(path))


def test_workbook_numbers_are_read_as_the_text_a_csv_would_hold(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(row()))
    values = row()
    values.update(price=19.9, stock=5, version=3)
    sheet.append(list(values.values()))
    path = tmp_path / "catalog.xlsx"
    book.save(path)

    [read] = read_rows(path)

    assert (read.values["price"], read.values["stock"], read.values["version"]) == (
        "19.9",
        "5",
        "3",
    )


def test_a_record_spanning_lines_is_named_by_its_first_line(csv_file):
    path = csv_file(
        [row(description="two\nlines"), row(variant_sku="NEW-1-L", description="two\nlines")]
    )

    assert [r.line for r in read_rows(path)] == [2, 4]


# Bounded reading (#22): every limit refuses in one short line, before the file is held.


def test_a_number_behind_leading_whitespace_is_still_a_number(csv_file):
    rows = list(read_rows(csv_file([row(price=" -5")])))

    assert rows[0].values["price"] == "-5"


def test_text_that_starts_like_a_formula_once_trimmed_survives_export_then_import():
    assert cell_out(" =1+2") == "' =1+2"
    assert cell_in(cell_out(" =1+2")) == "=1+2"


def test_a_header_of_100000_columns_is_refused_in_one_short_line(tmp_path):
    path = wide_header_csv(tmp_path / "wide.csv", columns=100_000)

    with pytest.raises(ImportFileError) as refused:
        list(read_rows(path))

    message = str(refused.value)
    assert message == (
        "wide.csv: the first row names 100,013 columns; the layout has 13 "
        "(at most 50 accepted, CATALOG_IMPORT_MAX_COLUMNS)."
    )


def test_many_unknown_columns_are_named_a_few_then_counted(csv_file):
    path = csv_file([row()], columns=[*row(), *(f"extra{n}" * 20 for n in range(30))])

    with pytest.raises(ImportFileError, match=r"unknown columns: extra0extra0.*and 25 more") as e:
        list(read_rows(path))
    assert len(str(e.value)) < 500


def test_a_row_with_more_cells_than_the_limit_is_refused(csv_file, settings):
    settings.CATALOG_IMPORT_MAX_COLUMNS = 20
    path = csv_file([row()])
    with path.open("a", encoding="utf-8") as out:
        out.write(",".join(["x"] * 25) + "\n")

    with pytest.raises(ImportFileError, match=r"line 3: 25 cells; a row has 13 \(at most 20"):
        list(read_rows(path))


def test_a_cell_over_the_length_limit_is_refused_naming_its_column(csv_file, settings):
    settings.CATALOG_IMPORT_MAX_CELL_CHARS = 100
    path = csv_file([row(), row(variant_sku="NEW-1-L", description="d" * 101)])

    with pytest.raises(ImportFileError, match=r"line 3: a cell longer than 100 characters"):
        list(read_rows(path))


def test_a_long_xlsx_cell_is_refused_naming_its_column(tmp_path, settings):
    from openpyxl import Workbook

    settings.CATALOG_IMPORT_MAX_CELL_CHARS = 100
    book = Workbook()
    book.active.append(list(row()))
    book.active.append(list(row(name="n" * 150).values()))
    path = tmp_path / "long.xlsx"
    book.save(path)

    with pytest.raises(ImportFileError, match=r"line 2, column name: 150 characters; at most 100"):
        list(read_rows(path))


#: (what follows the header, the refusal) with cells of at most 100 characters: a record
#: of 50 x 203 characters at most.
OVERLONG = {
    "a line with no end": ("x" * 1_000_000, r"line 2: a row longer than 10,150 characters"),
    "a quoted field left open": ('"' + "short line\n" * 100_000, r"line 2: a cell longer than 100"),
    "a record of many fields over many lines": (
        '"a\n",' * 100_000,
        r"line \d+: a row longer than 10,150 characters",
    ),
}


@pytest.mark.parametrize(("body", "refusal"), OVERLONG.values(), ids=OVERLONG)
def test_an_overlong_record_is_refused_before_it_is_held(tmp_path, settings, body, refusal):
    settings.CATALOG_IMPORT_MAX_CELL_CHARS = 100
    path = tmp_path / "long.csv"
    path.write_text(",".join(row()) + "\n" + body, encoding="utf-8")

    with pytest.raises(ImportFileError, match=refusal):
        list(read_rows(path))


def test_more_rows_than_the_limit_are_refused(csv_file, settings):
    settings.CATALOG_IMPORT_MAX_ROWS = 3
    path = csv_file([row(variant_sku=f"NEW-1-{n}") for n in range(4)])

    with pytest.raises(ImportFileError, match=r"more than 3 rows below the header"):
        list(read_rows(path))


def test_the_csv_field_limit_is_put_back_after_reading(csv_file, settings):
    import csv

    before = csv.field_size_limit()
    settings.CATALOG_IMPORT_MAX_CELL_CHARS = 100

    list(read_rows(csv_file([row()])))

    assert csv.field_size_limit() == before


def test_a_byte_that_is_not_utf8_is_named_by_its_line_across_read_chunks(tmp_path, monkeypatch):
    from catalog.imports import csv_source

    monkeypatch.setattr(csv_source, "CHUNK", 7)
    path = tmp_path / "catalog.csv"
    path.write_bytes(b"a,b\nlonger line here\n\xc3\xa9t\xc3\xa9\nthen \xe9 latin\n")

    with pytest.raises(ImportFileError, match=r"catalog.csv, line 4: not UTF-8"):
        list(read_rows(path))
