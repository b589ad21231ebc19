"""Migration 0010 trims the reports earlier versions stored whole (#22)."""

import importlib
import json
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from catalog.imports.report import ImportReport
from catalog.models import CatalogImport

pytestmark = pytest.mark.django_db

migration = importlib.import_module("catalog.migrations.0010_trim_import_reports")


def _stored_whole(errors: int) -> dict:
    """A report as versions before #22 stored it: every error listed."""
    return {
        "file_name": "junk.csv",
        "dry_run": True,
        "rows": errors,
        "products": 0,
        "new": 0,
        "changed": 0,
        "unchanged": 0,
        "applied": False,
        "file_error": "",
        "errors": [
            {"line": n + 2, "column": "product_sku", "message": f"'x{n}' is not a SKU: ..." * 3}
            for n in range(errors)
        ],
        "conflicts": [],
        "changes": [
            {
                "sku": "A-1",
                "line": 2,
                "changes": [{"field": "description", "old": "o" * 20_000, "new": "n" * 20_000}],
            }
        ],
        "new_skus": [],
    }


def test_a_report_stored_whole_is_trimmed_to_its_counts_and_first_entries(editor, client):
    whole = CatalogImport.objects.create(
        file_name="junk.csv", report=_stored_whole(30_000), created_by=editor
    )
    small = CatalogImport.objects.create(file_name="ok.csv", report=_stored_whole(3))
    small_before = CatalogImport.objects.get(pk=small.pk).report

    migration.trim_reports(apps, SimpleNamespace(connection=connection))

    whole.refresh_from_db()
    small.refresh_from_db()
    assert small.report == small_before
    assert len(json.dumps(whole.report)) < 30_000
    report = ImportReport.from_dict(whole.report)
    assert (report.error_count, len(report.errors), report.rows) == (30_000, 20, 30_000)
    assert report.errors[0].line == 2 and report.errors[-1].line == 21
    assert len(report.changes[0].changes[0].new) == 300
    assert report.summary() == "Nothing imported: 30,000 row errors, 0 conflicts."
    client.force_login(editor)
    page = client.get(reverse("admin:catalog_catalogimport_change", args=[whole.pk]))
    assert "29,980 more not listed" in page.content.decode()
