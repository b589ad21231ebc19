"""A bad file is refused whole with one sentence, before any row is read."""

import pytest

from catalog.imports.files import ImportFileError, read_rows
from catalog.imports.layout import cell_in, cell_out
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


@pytest.mark.parametrize("formula", ["=1+2", "+A1", "-A1*2", "@SUM(A1)", '=HYPERLINK("x")'])
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
