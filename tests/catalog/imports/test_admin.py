"""The admin's import: upload, dry-run preview, confirm, import; export from the list.

The import worker's task runs in-process here (eager): what is checked is the pages and
the services behind them; the worker itself is tested in test_worker.py.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from catalog.models import CatalogImport, Product, Variant
from testkit.on_commit import forget_all
from tests.catalog.imports.conftest import row, write_csv
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

IMPORT_URL = reverse("admin:catalog_product_import")
EXPORT_URL = reverse("admin:catalog_product_export")


def _upload(client, path: Path, capture):
    with capture(execute=True):
        return client.post(IMPORT_URL, {"file": SimpleUploadedFile(path.name, path.read_bytes())})


def _job() -> CatalogImport:
    return CatalogImport.objects.get()


def _page(client, job):
    return client.get(reverse("admin:catalog_catalogimport_change", args=[job.pk]))


def test_the_product_list_offers_import_and_export(editor_client):
    page = editor_client.get(reverse("admin:catalog_product_changelist")).content.decode()

    assert IMPORT_URL in page and f"{EXPORT_URL}?format=xlsx" in page


def test_an_upload_is_checked_then_previewed_and_nothing_saved_before_confirm(
    editor_client, tmp_path, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path / "spring.csv", [row()])

    response = _upload(editor_client, path, django_capture_on_commit_callbacks)

    job = _job()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_catalogimport_change", args=[job.pk])
    assert job.status == CatalogImport.Status.PREVIEWED
    assert not Product.objects.exists()
    page = _page(editor_client, job).content.decode()
    assert "Dry run, nothing saved: 1 new" in page
    assert "NEW-1 (row 2)" in page
    assert "Confirm import" in page and 'id="catalogimport_confirm_form"' in page
    # ... and again in the bar at the bottom, beside Close, where the preview ends.
    bar = page[page.index('<div class="submit-row">') :]
    assert re.search(
        r'<input type="submit" form="catalogimport_confirm_form"\s+value="Confirm import"', bar
    )
    assert 'form="catalogimport_cancel_form"' in bar and 'class="closelink"' in bar


def test_confirming_imports_with_the_editor_in_the_history_and_removes_the_file(
    editor_client, editor, tmp_path, django_capture_on_commit_callbacks
):
    _upload(
        editor_client,
        write_csv(tmp_path / "spring.csv", [row()]),
        django_capture_on_commit_callbacks,
    )
    job = _job()
    stored = Path(settings.VAR_DIR) / job.stored_path
    assert stored.is_file()

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(reverse("admin:catalog_catalogimport_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == CatalogImport.Status.DONE
    assert not stored.exists() and job.stored_path == ""
    record = Product.history.get(sku="NEW-1")
    assert (record.history_user, record.history_change_reason) == (editor, "Import of spring.csv")
    assert "Imported: 1 new" in _page(editor_client, job).content.decode()


def test_the_preview_shows_each_changed_field(
    editor_client, tmp_path, django_capture_on_commit_callbacks, variant_factory
):
    variant_factory(
        sku="NEW-1-M", product__sku="NEW-1", product__slug="new-shirt", product__category=None
    )
    forget_all()
    path = write_csv(
        tmp_path / "prices.csv",
        [
            row(
                price="24.00",
                colour="black",
                size="M",
                description="A product worth describing.",
                name=Product.objects.get().name,
                status="draft",
            )
        ],
    )

    _upload(editor_client, path, django_capture_on_commit_callbacks)

    page = _page(editor_client, _job()).content.decode()
    assert "<td>variant NEW-1-M price</td><td>19.99</td><td>24.00</td>" in page


def test_a_file_with_errors_is_refused_with_line_and_column_and_its_file_removed(
    editor_client, tmp_path, django_capture_on_commit_callbacks
):
    _upload(
        editor_client,
        write_csv(tmp_path / "bad.csv", [row(price="-2")]),
        django_capture_on_commit_callbacks,
    )

    job = _job()
    assert job.status == CatalogImport.Status.REFUSED and job.stored_path == ""
    page = _page(editor_client, job).content.decode()
    assert "NEW-1 · New shirt" in page
    assert "Price &#x27;-2&#x27;: A price cannot be negative: row 2." in page
    assert "Confirm import" not in page


def test_a_file_of_another_kind_is_a_form_error(editor_client, tmp_path):
    path = tmp_path / "catalog.pdf"
    path.write_bytes(b"%PDF")

    response = editor_client.post(IMPORT_URL, {"file": SimpleUploadedFile(path.name, b"%PDF")})

    assert response.status_code == 200
    assert "not a .csv or .xlsx file" in response.content.decode()
    assert not CatalogImport.objects.exists()


def test_cancelling_a_preview_removes_the_file(
    editor_client, tmp_path, django_capture_on_commit_callbacks
):
    _upload(
        editor_client,
        write_csv(tmp_path / "spring.csv", [row()]),
        django_capture_on_commit_callbacks,
    )
    job = _job()
    stored = Path(settings.VAR_DIR) / job.stored_path

    editor_client.post(reverse("admin:catalog_catalogimport_cancel", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == CatalogImport.Status.CANCELLED and not stored.exists()
    assert not Product.objects.exists()


def test_a_user_who_may_not_add_products_may_not_import(client, tmp_path):
    client.force_login(UserFactory(is_staff=True))

    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("a.csv", b"x")})

    assert response.status_code == 403


def test_the_export_is_a_download_that_follows_the_category_filter(
    editor_client, variant_factory, category_factory
):
    shirts = category_factory(slug="shirts")
    variant_factory(sku="IN-1", product__category=shirts)
    variant_factory(sku="OUT-1")

    response = editor_client.get(EXPORT_URL, {"format": "csv", "category": shirts.pk})

    assert response["Content-Disposition"] == 'attachment; filename="catalog-shirts.csv"'
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "IN-1" in body and "OUT-1" not in body
    assert Variant.objects.count() == 2


def test_a_running_import_page_shows_its_progress_and_refreshes_itself(editor_client, editor):
    job = CatalogImport.objects.create(
        file_name="big.csv",
        created_by=editor,
        status=CatalogImport.Status.IMPORTING,
        stage="writing",
        done=2500,
        total=10000,
        heartbeat_at=timezone.now(),
    )

    page = _page(editor_client, job).content.decode()

    assert '<div id="catalogimport-live" data-live-refresh="2">' in page
    assert "Saving: 2,500 of 10,000 products" in page and 'title="25%"' in page
    # Not confirmed again while it writes, but it can always be cancelled.
    assert "catalogimport_confirm_form" not in page
    assert "catalogimport_cancel_form" in page


def test_a_finished_import_page_does_not_refresh(editor_client, editor):
    job = CatalogImport.objects.create(
        file_name="big.csv", created_by=editor, status=CatalogImport.Status.DONE
    )

    page = _page(editor_client, job).content.decode()
    assert '<div id="catalogimport-live">' in page and "data-live-refresh" not in page
