"""The import's report stays small whatever the file: junk is refused after a bounded
number of errors, the first few of each kind are kept and every one is counted (#22)."""

import json

import pytest

from catalog.imports.report import ImportReport
from catalog.imports.services import catalog_import
from catalog.models import Product
from testkit.hostile_files import junk_csv
from testkit.on_commit import forget_all
from tests.catalog.imports.conftest import row

pytestmark = pytest.mark.django_db


def _size(report: ImportReport) -> int:
    return len(json.dumps(report.as_dict()))


def test_a_file_of_junk_rows_is_refused_after_the_error_limit(tmp_path, settings):
    settings.CATALOG_IMPORT_STOP_AFTER_ERRORS = 30
    path = junk_csv(tmp_path / "junk.csv", rows=100_000)

    report = catalog_import(path=path)

    assert not report.ok and not report.applied
    # Each junk row has three errors (SKU, name, slug): the tenth row fills the log.
    assert (report.stopped_at, report.error_count, report.rows) == (11, 30, 10)
    assert report.summary().startswith(
        "Nothing imported: stopped at line 11 after 30 row errors (the first: line 2, "
        "column product_sku: 'x': A SKU is 3 to 32 characters"
    )
    assert "\n" not in report.summary()


def test_the_report_keeps_the_first_errors_of_each_kind_and_counts_them_all(csv_file, settings):
    settings.CATALOG_IMPORT_REPORT_ERRORS_PER_KIND = 3
    rows = [row(variant_sku=f"NEW-1-{n}", price="-1") for n in range(40)]
    rows += [
        row(product_sku="NEW-2", slug="new-2", variant_sku=f"NEW-2-{n}", stock="many")
        for n in range(10)
    ]

    report = catalog_import(path=csv_file(rows))

    assert report.error_count == 50 and not report.stopped_at
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "price"),
        (3, "price"),
        (4, "price"),
        (42, "stock"),
        (43, "stock"),
        (44, "stock"),
    ]
    assert [(k.column, k.rule, k.count) for k in report.error_kinds] == [
        ("price", "min_value", 40),
        ("stock", "invalid", 10),
    ]
    assert report.summary() == "Nothing imported: 50 row errors, 0 conflicts."


def test_a_report_of_a_million_junk_rows_stays_small_with_the_default_limits(tmp_path):
    path = junk_csv(tmp_path / "junk.csv", rows=1_000_000)

    report = catalog_import(path=path)

    # Reading stops at the row that reaches 1,000 errors (a row has three).
    assert report.stopped_at == 335 and report.error_count == 1_002
    assert _size(report) < 50_000


def test_messages_quote_the_start_of_a_long_cell_only(csv_file):
    long_status = "s" * 5_000

    report = catalog_import(path=csv_file([row(status=long_status)]))

    [error] = report.errors
    assert error.message.startswith(
        f"Select a valid choice. {'s' * 40!r}... (5,000 characters) is not one of the available"
    )


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\ufffe"])
def test_a_control_character_is_a_row_error_naming_line_and_column(csv_file, character):
    path = csv_file([row(), row(variant_sku="NEW-1-L", colour=f"bl{character}ue")])

    report = catalog_import(path=path)

    assert not report.ok and not Product.objects.exists()
    [error] = report.errors
    assert (error.line, error.column, error.rule) == (3, "colour", "control_character")
    assert error.message.startswith(
        f"the cell contains an invisible control character (U+{ord(character):04X}) after 'bl'"
    )


def test_tabs_and_line_breaks_inside_a_cell_are_not_control_characters(csv_file):
    report = catalog_import(path=csv_file([row(description="two\nlines\tand a tab")]))

    assert report.ok, report.summary()


def test_the_listed_changes_are_bounded_and_their_values_cut(
    tmp_path, csv_file, product_factory, variant_factory
):
    for n in range(250):
        product = product_factory(sku=f"OLD-{n}", slug=f"old-{n}", category=None)
        variant_factory(product=product, sku=f"OLD-{n}-M")
    forget_all()
    rows = [
        row(
            product_sku=f"OLD-{n}",
            slug=f"old-{n}",
            variant_sku=f"OLD-{n}-M",
            name=f"Old {n}",
            description="long " * 2_000,
        )
        for n in range(250)
    ]

    report = catalog_import(path=csv_file(rows), dry_run=True)

    assert report.ok and report.changed == 250
    # At most 200 products and 1,000 fields in all (each product changes six here).
    assert len(report.changes) == 167
    assert sum(len(change.changes) for change in report.changes) == 1_000
    longest = max(len(c.new) for change in report.changes for c in change.changes)
    assert longest == 80
    assert _size(report) < 300_000


def test_conflicts_are_kept_up_to_the_limit_and_counted(
    csv_file, settings, product_factory, variant_factory
):
    settings.CATALOG_IMPORT_REPORT_ERRORS_PER_KIND = 2
    for n in range(5):
        product = product_factory(sku=f"OLD-{n}", slug=f"old-{n}", category=None)
        variant_factory(product=product, sku=f"OLD-{n}-M")
    forget_all()
    rows = [
        row(product_sku=f"OLD-{n}", slug=f"old-{n}", variant_sku=f"OLD-{n}-M", version=99)
        for n in range(5)
    ]

    report = catalog_import(path=csv_file(rows))

    assert (len(report.conflicts), report.conflict_count) == (2, 5)
    assert report.summary() == "Nothing imported: 0 row errors, 5 conflicts."


def test_a_report_stored_before_kinds_and_counts_still_reads():
    stored = {
        "file_name": "old.csv",
        "dry_run": True,
        "errors": [{"line": 2, "column": "price", "message": "-1: a price cannot be negative."}],
        "conflicts": [],
        "changes": [],
        "new_skus": [],
    }

    report = ImportReport.from_dict(stored)

    assert (report.error_count, report.errors[0].rule) == (1, "")
    assert report.summary() == "Nothing imported: 1 row error, 0 conflicts."
