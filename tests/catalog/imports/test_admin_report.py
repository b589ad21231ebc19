"""Catalog > Imports: the list never loads a report, an import's page shows it a page at a
time, and a broken workbook is one sentence there (#22)."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.imports.errors import RowError
from catalog.imports.plan import FieldChange, ProductChange
from catalog.imports.report import ImportReport
from catalog.models import CatalogImport
from config.celery import app
from testkit.hostile_files import write_workbook

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:catalog_catalogimport_changelist")


def _page(client, job, **query):
    url = reverse("admin:catalog_catalogimport_change", args=[job.pk])
    return client.get(url, query).content.decode()


def _refused(editor, errors: int, changes: int = 0) -> CatalogImport:
    report = ImportReport(
        file_name="big.csv",
        dry_run=True,
        errors=[RowError(n, "price", f"problem number {n}.", "price") for n in range(errors)],
        error_count=errors,
        changed=changes,
        changes=[
            ProductChange(f"SKU-{n}", n, [FieldChange("name", "old", f"new name {n}")])
            for n in range(changes)
        ],
    )
    return CatalogImport.objects.create(
        file_name="big.csv",
        created_by=editor,
        status=CatalogImport.Status.REFUSED,
        report=report.as_dict(),
    )


def test_the_list_of_imports_never_reads_a_report(editor_client, editor):
    _refused(editor, errors=20_000)  # about 1.5 MB of JSON, as an earlier version stored

    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(LIST_URL)

    assert response.status_code == 200 and "big.csv" in response.content.decode()
    listed = [q["sql"] for q in queries if "catalog_catalogimport" in q["sql"]]
    assert listed
    assert not [sql for sql in listed if re.search(r"[`\"]report[`\"]", sql)]


def test_an_import_page_lists_its_problems_a_page_at_a_time(editor_client, editor):
    job = _refused(editor, errors=120)

    first = _page(editor_client, job)
    last = _page(editor_client, job, problems=3)

    assert "Price: problem number 49: row 49." in first
    assert "problem number 50:" not in first
    assert "Page 1 of 3" in first and "?problems=2" in first
    assert "Price: problem number 119: row 119." in last
    assert "problem number 99:" not in last


def test_an_import_page_lists_changed_products_a_page_at_a_time(editor_client, editor):
    job = _refused(editor, errors=0, changes=60)

    first = _page(editor_client, job)
    third = _page(editor_client, job, changes=3)

    assert "<td>new name 24</td>" in first and "<td>new name 25</td>" not in first
    assert "<td>new name 59</td>" in third and "<td>new name 49</td>" not in third


def test_an_import_page_counts_each_kind_of_problem(editor_client, editor):
    job = _refused(editor, errors=5)
    report = ImportReport.from_dict(job.report)
    report.error_count = 5_000
    report.error_kinds = []
    job.report = report.as_dict()
    job.report["error_kinds"] = [
        {"column": "price", "rule": "price", "count": 5_000, "example": "problem number 0."}
    ]
    job.save()

    page = _page(editor_client, job)

    assert "<td>price</td><td>problem number 0.</td><td>5,000</td>" in page
    assert "the first of each kind, 4,995 more not listed" in page


@pytest.fixture
def eager():
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = False


def test_a_broken_workbook_is_one_sentence_on_its_import_page(
    editor_client, tmp_path, eager, django_capture_on_commit_callbacks
):
    path = write_workbook(
        Path(tmp_path) / "broken.xlsx", {"xl/worksheets/sheet1.xml": "<worksheet><sheetData"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(
            reverse("admin:catalog_product_import"),
            {"file": SimpleUploadedFile(path.name, path.read_bytes())},
        )

    job = CatalogImport.objects.get()
    assert job.status == CatalogImport.Status.REFUSED and not job.error
    page = _page(editor_client, job)
    assert "broken.xlsx: not a readable .xlsx workbook; open it in Excel" in page
    assert "ParseError" not in page and "Traceback" not in page
