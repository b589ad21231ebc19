"""Exports: control characters cannot break them, and the XLSX stays importable."""

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from openpyxl.worksheet import _writer as openpyxl_writer

from catalog.imports.exports import (
    XLSX_REPLACEMENT,
    catalog_export_csv_stream,
    catalog_export_file,
    catalog_export_xlsx,
)
from catalog.imports.services import catalog_import
from catalog.models import Product, Variant
from catalog.validators import CONTROL_CHARACTERS
from testkit.on_commit import forget_all

pytestmark = pytest.mark.django_db

#: What forms refuse now but a product may still hold (an older import, code).
NAME = "Blue\x00 shirt"
DESCRIPTION = "Soft\x01 cotton\x7f.\nMachine wash."
COLOUR = "navy\x1b"


@pytest.fixture
def dirty(product_factory, variant_factory, category_factory) -> Product:
    shirts = category_factory(slug="shirts", name="Shirts")
    product = product_factory(
        sku="DIRTY-1", slug="dirty-1", name=NAME, description=DESCRIPTION, category=shirts
    )
    variant_factory(product=product, sku="DIRTY-1-M", colour=COLOUR)
    variant_factory(product__category=shirts, sku="CLEAN-1-M", colour="red")
    forget_all()  # as if committed
    return product


def _xlsx(tmp_path, name: str = "catalog.xlsx"):
    path = tmp_path / name
    with path.open("wb") as out:
        catalog_export_xlsx(out=out)
    return path


def _cells(path) -> list[list[object]]:
    book = load_workbook(path, read_only=True)
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def test_a_control_character_in_the_data_cannot_break_the_xlsx_export(dirty, tmp_path):
    rows = _cells(_xlsx(tmp_path))

    header, *data = rows
    by_sku = {row[header.index("variant_sku")]: dict(zip(header, row, strict=True)) for row in data}
    dirty_row = by_sku["DIRTY-1-M"]
    assert dirty_row["name"] == f"Blue{XLSX_REPLACEMENT} shirt"
    assert dirty_row["description"] == "Soft\ufffd cotton\ufffd.\nMachine wash."
    assert dirty_row["colour"] == f"navy{XLSX_REPLACEMENT}"
    assert by_sku["CLEAN-1-M"]["colour"] == "red"
    text = [cell for row in rows for cell in row if isinstance(cell, str)]
    assert not [cell for cell in text if CONTROL_CHARACTERS.search(cell)]


def test_the_xlsx_export_with_control_characters_imports_back_showing_the_replacement(
    dirty, tmp_path
):
    path = _xlsx(tmp_path)

    dry_run = catalog_import(path=path, dry_run=True)

    assert dry_run.ok, dry_run.summary()
    assert (dry_run.new, dry_run.changed, dry_run.unchanged) == (0, 1, 1)
    [change] = dry_run.changes
    assert {c.field for c in change.changes} == {"name", "description", "variant DIRTY-1-M colour"}

    assert catalog_import(path=path).applied
    forget_all()
    dirty.refresh_from_db()
    assert dirty.name == f"Blue{XLSX_REPLACEMENT} shirt"
    again = catalog_import(path=_xlsx(tmp_path, "again.xlsx"), dry_run=True)
    assert (again.changed, again.unchanged) == (0, 2)


def test_the_csv_export_writes_the_text_as_it_is(dirty):
    text = b"".join(catalog_export_csv_stream()).decode("utf-8-sig")

    assert NAME in text and COLOUR in text


def test_the_xlsx_export_round_trips_numbers_formulas_and_line_breaks(variant_factory, tmp_path):
    variant_factory(
        sku="ROUND-1-M",
        product__sku="ROUND-1",
        product__name="=1+1",
        product__description="Line one\nline two",
        price="1234.50",
        stock=7,
    )
    forget_all()
    path = _xlsx(tmp_path)

    header, row = _cells(path)
    values = dict(zip(header, row, strict=True))
    assert values["name"] == "'=1+1"  # written as text, never as a formula
    assert (values["price"], values["stock"]) == (1234.5, 7)
    sheet = load_workbook(path).active
    assert sheet.title == "Catalog"
    price = sheet.cell(row=2, column=header.index("price") + 1)
    assert price.number_format == "#,##0.00"  # money to the eye, a number to a formula

    report = catalog_import(path=path, dry_run=True)
    assert report.ok and (report.changed, report.unchanged) == (0, 1), report.summary()


def test_a_failed_xlsx_export_leaves_no_temporary_sheet_behind(dirty):
    def fail() -> None:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError, match="database gone"):
        catalog_export_xlsx(out=io.BytesIO(), on_chunk=fail)

    assert openpyxl_writer.ALL_TEMP_FILES == []


def test_the_export_file_of_each_format_has_a_row_per_variant(dirty, tmp_path):
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"all.{fmt}"
        with path.open("wb") as out:
            catalog_export_file(out=out, fmt=fmt)
        assert catalog_import(path=path, dry_run=True).rows == Variant.objects.count()


def test_export_catalog_writes_an_xlsx_of_a_catalog_holding_a_nul(dirty, tmp_path, capsys):
    path = tmp_path / "catalog.xlsx"

    call_command("export_catalog", "--format", "xlsx", "--output", str(path))

    assert "Exported to" in capsys.readouterr().err
    assert f"Blue{XLSX_REPLACEMENT} shirt" in [row[1] for row in _cells(path)]
