"""The import: all or nothing, round trip, conflicts, and the save path's side effects."""

from decimal import Decimal

import pytest

from catalog.imports.exports import catalog_export_file
from catalog.imports.services import catalog_import
from catalog.models import Product, Variant
from stats.batch.requests import recompute_requests
from stats.models import ProductStaleness
from testkit.on_commit import forget_all, items_in
from tests.catalog.imports.conftest import row

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(category_factory, product_factory, variant_factory):
    """Two products with two variants each under clothing/shirts, as committed."""
    clothing = category_factory(slug="clothing", name="Clothing")
    shirts = category_factory(slug="shirts", name="Shirts", parent=clothing)
    products = []
    for n in (1, 2):
        product = product_factory(sku=f"SHIRT-{n}", slug=f"shirt-{n}", category=shirts)
        for size in ("M", "L"):
            variant_factory(product=product, sku=f"SHIRT-{n}-{size}", size=size)
        products.append(product)
    forget_all()  # as if the fixtures' saves had committed
    return products


def _export(tmp_path, fmt="csv"):
    path = tmp_path / f"export.{fmt}"
    with path.open("wb") as out:
        catalog_export_file(out=out, fmt=fmt)
    return path


def _edit(path, old: str, new: str):
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_importing_an_unchanged_export_changes_nothing(shop, tmp_path, fmt):
    path = _export(tmp_path, fmt)

    report = catalog_import(path=path)

    assert report.ok and report.applied
    assert (report.new, report.changed, report.unchanged, report.rows) == (0, 0, 2, 4)
    assert [p.version for p in Product.objects.order_by("sku")] == [1, 1]


def test_the_export_names_categories_by_slug_path_and_carries_the_version(shop, tmp_path):
    lines = _export(tmp_path).read_text(encoding="utf-8-sig").splitlines()

    assert lines[0].startswith("product_sku,name,slug,status,category,description,version,")
    assert ",clothing/shirts," in lines[1]
    assert len(lines) == 5  # header and one row per variant


def test_new_and_changed_products_are_written_with_field_level_changes(shop, tmp_path, csv_file):
    path = _edit(_export(tmp_path), "SHIRT-1-M,M,black,19.99", "SHIRT-1-M,M,black,24.50")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("NEW-1,New,new-1,draft,clothing,,,NEW-1-S,S,red,5,EUR,1\n")

    report = catalog_import(path=path)

    assert report.applied, report.summary()
    assert (report.new, report.changed, report.unchanged) == (1, 1, 1)
    [change] = report.changes
    assert change.sku == "SHIRT-1"
    assert [(c.field, c.old, c.new) for c in change.changes] == [
        ("variant SHIRT-1-M price", "19.99", "24.50")
    ]
    assert Variant.objects.get(sku="SHIRT-1-M").price == Decimal("24.50")
    assert Product.objects.get(sku="NEW-1").category.slug == "clothing"


def test_a_dry_run_reports_and_saves_nothing(shop, tmp_path):
    path = _edit(_export(tmp_path), "SHIRT-1-M,M,black,19.99", "SHIRT-1-M,M,black,24.50")

    report = catalog_import(path=path, dry_run=True)

    assert (report.changed, report.applied) == (1, False)
    assert Variant.objects.get(sku="SHIRT-1-M").price == Decimal("19.99")


def test_one_bad_row_saves_nothing_and_names_line_and_column(shop, csv_file):
    path = csv_file(
        [row(), row(product_sku="NEW-2", slug="new-2", variant_sku="NEW-2-M", price="-1")]
    )

    report = catalog_import(path=path)

    assert not report.applied
    assert [str(e) for e in report.errors] == [
        "line 3, column price: '-1': A price cannot be negative."
    ]
    assert not Product.objects.filter(sku__startswith="NEW").exists()


@pytest.mark.parametrize(
    ("values", "column"),
    [
        ({"variant_sku": "lower-case"}, "variant_sku"),
        ({"category": "no/such"}, "category"),
        ({"status": "archived"}, "status"),
        ({"currency": "JPY"}, "currency"),
        ({"stock": "1.5"}, "stock"),
        ({"price": "1.999"}, "price"),
        ({"price": "abc"}, "price"),
        ({"version": "x"}, "version"),
        ({"name": ""}, "name"),
    ],
)
def test_each_bad_cell_is_a_row_error_on_its_column(db, csv_file, values, column):
    report = catalog_import(path=csv_file([row(**values)]))

    assert [(e.line, e.column) for e in report.errors] == [(2, column)]
    assert not Product.objects.exists()


def test_product_columns_must_agree_across_its_rows(db, csv_file):
    path = csv_file([row(), row(variant_sku="NEW-1-L", name="Other name")])

    report = catalog_import(path=path)

    assert [(e.line, e.column) for e in report.errors] == [(3, "name")]


def test_a_product_with_two_currencies_is_refused(db, csv_file):
    path = csv_file([row(), row(variant_sku="NEW-1-L", currency="USD")])

    assert [e.column for e in catalog_import(path=path).errors] == ["currency"]


def test_duplicate_variant_skus_refuse_the_file(db, csv_file):
    path = csv_file([row(), row(product_sku="NEW-2", slug="new-2")])

    report = catalog_import(path=path)

    assert "NEW-1-M appears twice (lines 2 and 3)" in report.file_error
    assert not Product.objects.exists()


def test_a_variant_sku_of_another_product_is_refused(shop, csv_file):
    report = catalog_import(path=csv_file([row(variant_sku="SHIRT-2-M")]))

    assert [str(e) for e in report.errors] == [
        "line 2, column variant_sku: 'SHIRT-2-M': Variant with this SKU already exists "
        "(a variant of SHIRT-2)."
    ]


def test_a_product_changed_since_the_export_is_a_conflict_never_applied(shop, tmp_path):
    path = _edit(_export(tmp_path), "SHIRT-1-M,M,black,19.99", "SHIRT-1-M,M,black,24.50")
    product = shop[0]
    product.name = "Renamed by an editor"
    product.save()  # version 2 now
    forget_all()

    report = catalog_import(path=path)

    assert not report.applied
    assert [(c.sku, c.file_version, c.current_version) for c in report.conflicts] == [
        ("SHIRT-1", 1, 2)
    ]
    assert Variant.objects.get(sku="SHIRT-1-M").price == Decimal("19.99")


def test_a_row_without_a_version_overwrites_without_a_check(shop, csv_file):
    path = csv_file(
        [
            row(
                product_sku="SHIRT-1",
                slug="shirt-1",
                variant_sku="SHIRT-1-M",
                category="clothing/shirts",
            )
        ]
    )

    report = catalog_import(path=path)

    assert report.applied and report.changed == 1
    # The file is the product: SHIRT-1-L, not in it, is removed.
    assert list(Variant.objects.filter(product=shop[0]).values_list("sku", flat=True)) == [
        "SHIRT-1-M"
    ]


def test_each_imported_product_is_one_save_one_version_one_request(
    shop, tmp_path, django_capture_on_commit_callbacks
):
    path = _export(tmp_path)
    for n in (1, 2):
        for size in ("M", "L"):  # every row of both products changes
            _edit(path, f"SHIRT-{n}-{size},{size},black,", f"SHIRT-{n}-{size},{size},white,")
    with path.open("a", encoding="utf-8") as handle:
        for size in ("S", "M", "L"):
            handle.write(f"NEW-1,New,new-1,draft,,,,NEW-1-{size},{size},red,5,EUR,1\n")

    marks = ProductStaleness.objects.values_list("product__sku", "pending_saves")
    before = dict(marks)

    with django_capture_on_commit_callbacks() as callbacks:
        report = catalog_import(path=path)

    assert (report.new, report.changed) == (1, 2)
    ids = sorted(Product.objects.values_list("pk", flat=True))
    # One request per product (3), not one per row (7), queued for after the commit.
    assert sorted(items_in(recompute_requests, callbacks)) == ids
    # Changed products count one more version however many rows changed; new ones start at 1.
    assert dict(Product.objects.values_list("sku", "version")) == {
        "SHIRT-1": 2,
        "SHIRT-2": 2,
        "NEW-1": 1,
    }
    # Each product is marked stale and counts one save (the fixtures' saves left marks too).
    assert dict(marks.all()) == {
        "SHIRT-1": before["SHIRT-1"] + 1,
        "SHIRT-2": before["SHIRT-2"] + 1,
        "NEW-1": 1,
    }


def test_history_records_name_the_importing_user_and_the_file(shop, tmp_path, user_factory):
    alice = user_factory(username="alice")
    path = _edit(_export(tmp_path), "SHIRT-1-M,M,black,19.99", "SHIRT-1-M,M,black,24.50")

    catalog_import(path=path, user=alice, file_name="supplier-may.csv")

    record = Variant.history.filter(sku="SHIRT-1-M").latest("history_date")
    assert (record.history_user, record.history_change_reason, record.price) == (
        alice,
        "Import of supplier-may.csv",
        Decimal("24.50"),
    )
    assert record.history_type == "~"


def test_a_variant_left_out_of_the_file_is_deleted_with_a_history_record(
    shop, csv_file, user_factory
):
    alice = user_factory(username="alice")
    path = csv_file(
        [
            row(
                product_sku="SHIRT-1",
                slug="shirt-1",
                variant_sku="SHIRT-1-M",
                category="clothing/shirts",
            )
        ]
    )

    catalog_import(path=path, user=alice)

    record = Variant.history.get(sku="SHIRT-1-L", history_type="-")
    assert (record.history_user, record.history_change_reason) == (alice, "Import of catalog.csv")
