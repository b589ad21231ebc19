"""An import's preview ends with Confirm and Cancel in the bar at the bottom, beside Close."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from catalog.imports.jobs import catalog_import_upload
from catalog.models import CatalogImport, Product
from config.celery import app
from tests.browser.test_product_admin import _log_in
from tests.catalog.imports.conftest import row, write_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_imports(settings, tmp_path):
    """The import worker's steps run in the process that asks (here, the live server's)."""
    settings.VAR_DIR = tmp_path
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = False


def test_confirm_in_the_bottom_bar_imports_the_previewed_file(
    page: Page, editor, tmp_path, eager_imports
):
    path = write_csv(tmp_path / "spring.csv", [row()])
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    job = catalog_import_upload(upload=upload, user=editor)
    job.refresh_from_db()
    assert job.status == CatalogImport.Status.PREVIEWED
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, editor.username)

    page.goto(f"/admin/catalog/catalogimport/{job.pk}/change/")
    bar = page.locator(".submit-row")
    expect(bar.get_by_role("button", name="Cancel", exact=True)).to_be_visible()
    bar.get_by_role("button", name="Confirm import").click()

    expect(page.locator(".messagelist")).to_be_visible()
    job.refresh_from_db()
    assert job.status == CatalogImport.Status.DONE
    assert Product.objects.filter(sku="NEW-1").exists()
