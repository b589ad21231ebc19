"""An import's preview as an editor reads it: a product with a bad row is only refused
(never a variant to remove), its problems are listed together under it, each problem
once with its rows, a category hint with a real path, "Before" once imported, and
progress words instead of 0/0 (#24)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.imports.errors import RowError
from catalog.imports.plan import Conflict, FieldChange, ProductChange
from catalog.imports.problems import problem_lines, rows_text
from catalog.imports.progress import progress_words
from catalog.imports.report import ImportReport
from catalog.imports.services import catalog_import
from catalog.models import CatalogImport
from testkit.on_commit import forget_all
from tests.catalog.imports.conftest import row

pytestmark = pytest.mark.django_db

Status = CatalogImport.Status


@pytest.fixture
def tee(product_factory, variant_factory, category_factory):
    """TEE-1 "Classic tee" in clothing/shirts, with variants S, M and L at 19.99."""
    shirts = category_factory(slug="shirts", parent=category_factory(slug="clothing"))
    product = product_factory(sku="TEE-1", name="Classic tee", slug="tee", category=shirts)
    for size in ("S", "M", "L"):
        variant_factory(sku=f"TEE-1-{size}", size=size, product=product)
    forget_all()
    return product


def _tee_rows(**prices: str) -> list[dict[str, str]]:
    """The tee's three rows as exported, with ``prices`` by size (``M="-4"``)."""
    return [
        row(
            product_sku="TEE-1",
            name="Classic tee",
            slug="tee",
            status="draft",
            category="clothing/shirts",
            description="A product worth describing.",
            variant_sku=f"TEE-1-{size}",
            size=size,
            colour="black",
            price=prices.get(size, "19.99"),
            stock="10",
        )
        for size in ("S", "M", "L")
    ]


def _page(client, report: ImportReport, user, status=Status.REFUSED) -> str:
    job = CatalogImport.objects.create(
        file_name="f.csv", created_by=user, status=status, report=report.as_dict()
    )
    url = reverse("admin:catalog_catalogimport_change", args=[job.pk])
    return client.get(url).content.decode()


def test_a_bad_row_refuses_its_product_and_lists_no_variant_to_remove(csv_file, tee):
    report = catalog_import(path=csv_file(_tee_rows(M="-4", L="21.00")), dry_run=True)

    assert (report.changed, report.unchanged, report.new) == (0, 0, 0)
    assert report.changes == []  # neither "TEE-1-M removed" nor L's new price
    [error] = report.errors
    assert (error.line, error.sku, error.product) == (3, "TEE-1", "Classic tee")


def test_a_product_whose_first_row_is_bad_is_refused_whole(csv_file, tee):
    rows = _tee_rows()
    rows[0]["status"] = "retired"  # the product's columns, on its first row only

    report = catalog_import(path=csv_file(rows), dry_run=True)

    assert report.changes == [] and report.changed == 0
    assert [(e.line, e.column) for e in report.errors] == [(2, "status")]


def test_a_products_problems_are_listed_under_its_sku_and_name(
    csv_file, tee, editor_client, editor
):
    report = catalog_import(path=csv_file([*_tee_rows(M="-4", L="abc"), row()]), dry_run=True)

    page = _page(editor_client, report, editor)

    assert [(line.heading, line.text) for line in problem_lines(report)] == [
        ("TEE-1 · Classic tee", "Price '-4': A price cannot be negative: row 3."),
        ("TEE-1 · Classic tee", "Price 'abc': Enter a number: row 4."),
    ]
    group = page[page.index("TEE-1 · Classic tee") :]
    assert group.index("row 3.") < group.index("row 4.")
    assert "removed" not in page and "Changed products" not in page


def test_one_bad_category_on_five_rows_is_one_line_with_its_rows(csv_file, editor_client, editor):
    rows = [
        row(product_sku=f"NEW-{n}", slug=f"new-{n}", variant_sku=f"NEW-{n}-M", category="x/y")
        for n in range(5)
    ]

    report = catalog_import(path=csv_file(rows), dry_run=True)
    page = _page(editor_client, report, editor)

    line = "Category &quot;x/y&quot; does not exist: rows 2, 3, 4, 5 and 6."
    assert page.count("does not exist:") == 1 and line in page


def test_a_problem_on_many_rows_lists_the_first_and_counts_the_rest(csv_file, settings):
    settings.CATALOG_IMPORT_REPORT_ERRORS_PER_KIND = 20
    rows = [
        row(product_sku=f"NEW-{n}", slug=f"new-{n}", variant_sku=f"NEW-{n}-M", category="x/y")
        for n in range(250)
    ]

    report = catalog_import(path=csv_file(rows), dry_run=True)

    [line] = problem_lines(report)
    assert line.text == (
        'Category "x/y" does not exist: rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 240 more.'
    )


@pytest.mark.parametrize(
    ("lines", "total", "words"),
    [
        ([3], 1, "row 3"),
        ([3, 7], 2, "rows 3 and 7"),
        ([3, 7, 9, 12, 15], 5, "rows 3, 7, 9, 12 and 15"),
        (list(range(2, 22)), 250, "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 240 more"),
        ([1200], 1, "row 1,200"),
    ],
)
def test_rows_are_named_in_plain_words_and_capped(lines, total, words):
    assert rows_text(lines, total) == words


def test_the_category_hint_gives_a_path_the_import_accepts(csv_file, category_factory):
    category_factory(slug="shoes")
    category_factory(slug="shirts", parent=category_factory(slug="clothing"))

    refused = catalog_import(path=csv_file([row(category="clothing/shirtz")]), dry_run=True)
    accepted = catalog_import(path=csv_file([row(category="clothing/shirts")]), dry_run=True)

    assert refused.category_hint == (
        'A category is written as its path from the top category, for example "clothing/shirts".'
    )
    assert accepted.ok
    [line] = problem_lines(refused)
    assert line.hint == refused.category_hint


def test_without_categories_the_hint_says_so_instead_of_an_example(csv_file):
    report = catalog_import(path=csv_file([row(category="clothing/shirts")]), dry_run=True)

    assert report.category_hint == (
        "The catalog has no categories yet: leave the category column empty."
    )


def test_no_hint_without_a_category_problem(csv_file, category_factory):
    category_factory(slug="clothing")

    assert catalog_import(path=csv_file([row(price="-1")]), dry_run=True).category_hint == ""


def _changed_report(*, applied: bool) -> ImportReport:
    report = ImportReport(file_name="f.csv", dry_run=not applied, changed=1, applied=applied)
    report.changes = [ProductChange("TEE-1", 2, [FieldChange("name", "Old tee", "Classic tee")])]
    return report


def test_the_old_values_are_now_before_the_import_and_before_once_imported(editor_client, editor):
    preview = _page(editor_client, _changed_report(applied=False), editor, Status.PREVIEWED)
    imported = _page(editor_client, _changed_report(applied=True), editor, Status.DONE)

    assert "<th>Now</th>" in preview and "<th>Before</th>" not in preview
    assert "<th>Before</th>" in imported and "<th>Now</th>" not in imported


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"status": Status.CHECKING}, "Waiting to start"),
        ({"status": Status.IMPORTING, "queued_at": "now"}, "Waiting to start"),
        ({"status": Status.CHECKING, "heartbeat_at": "now"}, "Reading the file"),
        (
            {
                "status": Status.CHECKING,
                "heartbeat_at": "now",
                "stage": "checking",
                "done": 1200,
                "total": 10000,
            },
            "Checking: 1,200 of 10,000 products",
        ),
        (
            {
                "status": Status.IMPORTING,
                "heartbeat_at": "now",
                "stage": "writing",
                "done": 0,
                "total": 1,
            },
            "Saving: 0 of 1 product",
        ),
        ({"status": Status.PREVIEWED, "done": 11, "total": 11}, "Ready to import: 11 products"),
        ({"status": Status.DONE, "done": 11, "total": 11}, "Imported: 11 products"),
        ({"status": Status.REFUSED}, "Refused"),
    ],
)
def test_progress_says_what_is_happening_and_counts_in_products(fields, words):
    now = timezone.now()
    job = CatalogImport(
        file_name="f.csv", **{k: now if v == "now" else v for k, v in fields.items()}
    )

    assert progress_words(job) == words


def test_an_import_page_never_shows_0_of_0(editor_client, editor):
    job = CatalogImport.objects.create(file_name="f.csv", created_by=editor)

    page = editor_client.get(reverse("admin:catalog_catalogimport_change", args=[job.pk]))

    text = page.content.decode()
    assert "Waiting to start" in text and "0/0" not in text


def test_the_counts_are_reported_as_soon_as_the_file_is_read(csv_file):
    calls = []

    catalog_import(
        path=csv_file([row(), row(product_sku="NEW-2", slug="n2", variant_sku="NEW-2-M")]),
        dry_run=True,
        on_progress=lambda *figures: calls.append(figures),
    )

    assert calls[0] == ("checking", 0, 2)


def test_errors_of_an_earlier_report_are_listed_without_a_product():
    report = ImportReport(
        file_name="old.csv", dry_run=True, errors=[RowError(4, "price", "bad.", "number")]
    )

    assert [(line.heading, line.text) for line in problem_lines(report)] == [
        ("", "Price: bad: row 4.")
    ]


def test_a_conflict_is_listed_after_the_errors_in_the_same_words():
    report = ImportReport(
        file_name="f.csv",
        dry_run=True,
        errors=[RowError(4, "price", "'-1': A price cannot be negative.", "min_value", "A-1", "")],
        conflicts=[Conflict("TEE-1", 2, file_version=3, current_version=5)],
    )

    assert [(line.heading, line.text) for line in problem_lines(report)] == [
        ("A-1", "Price '-1': A price cannot be negative: row 4."),
        (
            "Changed since the export",
            "TEE-1 was changed since the export (version 3 in the file, 5 now), export it "
            "again and redo the change: row 2.",
        ),
    ]
