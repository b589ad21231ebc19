"""The commands: one readable line and exit 1 for a bad file, the counts otherwise."""

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product
from testkit.hostile_files import junk_csv, write_workbook, xlsx_bomb
from tests.catalog.imports.conftest import row

pytestmark = pytest.mark.django_db


def test_export_then_import_reports_nothing_new_or_changed(tmp_path, capsys):
    call_command("seed_catalog", "--products", "20")
    path = tmp_path / "catalog.xlsx"

    call_command("export_catalog", "--format", "xlsx", "--output", str(path))
    call_command("import_catalog", str(path))

    assert "Imported: 0 new, 0 changed, 20 unchanged products" in capsys.readouterr().out


def test_export_of_one_category_holds_only_its_subtree(
    tmp_path, capsys, category_factory, variant_factory
):
    shirts = category_factory(slug="shirts")
    variant_factory(sku="IN-1", product__category=shirts)
    variant_factory(sku="OUT-1")

    call_command("export_catalog", "--category", "shirts")

    out = capsys.readouterr().out
    assert "IN-1" in out and "OUT-1" not in out


def test_export_of_an_unknown_category_is_one_line(capsys):
    with pytest.raises(CommandError, match="No category with the slug 'nope'"):
        call_command("export_catalog", "--category", "nope")


def test_import_of_a_bad_file_is_one_line_and_saves_nothing(csv_file):
    path = csv_file([row(colour="=cmd|' /C calc'!A0")])

    with pytest.raises(CommandError, match=r"^catalog.csv, line 2: the cell"):
        call_command("import_catalog", str(path))
    assert not Product.objects.exists()


def test_import_row_errors_are_listed_then_refused(csv_file, capsys):
    path = csv_file([row(price="-3")])

    with pytest.raises(CommandError, match="Nothing imported: 1 row error, 0 conflicts"):
        call_command("import_catalog", str(path))

    assert "line 2, column price: '-3': A price cannot be negative." in capsys.readouterr().err


def test_an_unknown_category_is_followed_by_a_real_example(csv_file, capsys, category_factory):
    category_factory(slug="shirts", parent=category_factory(slug="clothing"))

    with pytest.raises(CommandError):
        call_command("import_catalog", str(csv_file([row(category="clothing/shirtz")])))

    err = capsys.readouterr().err
    assert 'line 2, column category: Category "clothing/shirtz" does not exist.' in err
    assert 'for example "clothing/shirts".' in err


def test_import_dry_run_saves_nothing(csv_file, capsys):
    call_command("import_catalog", str(csv_file([row()])), "--dry-run")

    assert "Dry run, nothing saved: 1 new" in capsys.readouterr().out
    assert not Product.objects.exists()


def test_import_names_the_user_in_the_history(csv_file, user_factory):
    user_factory(username="alice")

    call_command("import_catalog", str(csv_file([row()])), "--user", "alice")

    assert Product.history.get(sku="NEW-1").history_user.username == "alice"


def test_import_of_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_catalog", str(tmp_path / "nope.csv"))


@pytest.mark.parametrize(
    "sheet", ["<worksheet><sheetData><row>", '<worksheet><sheetData><row r="x"/></sheetData>']
)
def test_import_of_a_malformed_workbook_is_one_line(tmp_path, capsys, sheet):
    path = write_workbook(tmp_path / "broken.xlsx", {"xl/worksheets/sheet1.xml": sheet})

    with pytest.raises(CommandError) as refused:
        call_command("import_catalog", str(path))

    assert str(refused.value).startswith("broken.xlsx: not a readable .xlsx workbook;")
    assert "\n" not in str(refused.value) and not capsys.readouterr().err


def test_import_of_a_junk_file_is_one_line(tmp_path, capsys):
    path = junk_csv(tmp_path / "junk.csv", rows=100_000)

    with pytest.raises(CommandError, match=r"^Nothing imported: stopped at line 335 after") as e:
        call_command("import_catalog", str(path))

    assert "\n" not in str(e.value) and not capsys.readouterr().err


def test_import_of_an_xlsx_bomb_is_one_line(tmp_path):
    path = xlsx_bomb(tmp_path / "bomb.xlsx", string_bytes=4 * 1024 * 1024)

    with pytest.raises(CommandError, match=r"CATALOG_IMPORT_XLSX_MAX_RATIO\): refused unread\.$"):
        call_command("import_catalog", str(path))
