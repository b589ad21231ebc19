"""The job centre as an editor uses it: the header's Jobs link, an import refused with its
error report downloaded, a bulk edit followed in place while it runs, stopped half-way
from the list, then undone (the undo's worker step run in the test's process).

The bulk edit is started on the product list and applied by the import worker's own
step (``bulk_edit_run``), run here in a thread of the test's process one product at a
time, held after the first until the page has shown it: the page is seen queued, then
running at 50%. The editors' guide's screenshot (``docs/editor-jobs.png``) is rewritten
only with ``UPDATE_DOCS_SCREENSHOTS=1``.
"""

import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from playwright.sync_api import Page, expect

from catalog.bulkedit import jobs as bulk_edit_jobs
from catalog.bulkedit.undo import bulk_edit_undo_run
from catalog.imports.jobs import catalog_import_upload
from catalog.models import BulkEdit, CatalogImport, Variant
from config.celery import app
from tests.browser.test_bulk_edit import REFRESH_WAIT_MS, shirts
from tests.browser.test_concurrency import _docs_screenshot
from tests.browser.test_product_admin import _log_in
from tests.catalog.imports.conftest import row, write_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["shirts"]  # a fixture, used by name below


def _refused_import(editor, tmp_path, settings) -> CatalogImport:
    """An upload with a negative price, checked at once (the dry run in this process)."""
    settings.VAR_DIR = tmp_path
    path = write_csv(tmp_path / "spring.csv", [row(product_sku="BAD-1", price="-4")])
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    try:
        job = catalog_import_upload(
            upload=SimpleUploadedFile(path.name, path.read_bytes()), user=editor
        )
    finally:
        app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = False
    job.refresh_from_db()
    assert job.status == CatalogImport.Status.REFUSED
    return job


class HeldRun:
    """``bulk_edit_run`` in a thread, held after its first product until released."""

    def __init__(self, job_id: int) -> None:
        self.first_done = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(job_id,), daemon=True)

    def _progress(self, done: int, total: int) -> None:
        if done == 1:
            self.first_done.set()
            self.release.wait(timeout=60)

    def _run(self, job_id: int) -> None:
        try:
            bulk_edit_jobs.bulk_edit_run(job_id=job_id, on_progress=self._progress)
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> "HeldRun":
        self.thread.start()
        assert self.first_done.wait(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(timeout=30)


def _start_bulk_edit(page: Page, shirts) -> BulkEdit:
    """Price +10% on SHIRT-1 and SHIRT-2, from the product list to Apply."""
    page.goto(f"/admin/catalog/product/?category__id__exact={shirts.pk}")
    page.get_by_role("checkbox", name="Select SHIRT-1 Oxford shirt").check()
    page.get_by_role("checkbox", name="Select SHIRT-2 Linen shirt").check()
    page.locator("select[name=action]").first.select_option("edit_selected")
    page.locator("button[name=index]").first.click()
    page.locator("#id_price_change").select_option("price_percent")
    page.locator("#id_price_value").fill("10")
    page.get_by_role("button", name="Preview the changes").click()
    page.get_by_role("button", name="Apply to 2 products").click()
    return BulkEdit.objects.get()


def test_jobs_lists_follows_stops_undoes_and_gives_the_error_report(
    page: Page, editor_factory, shirts, tmp_path, settings, monkeypatch
):
    monkeypatch.setattr(bulk_edit_jobs, "APPLY_CHUNK", 1)  # progress after each product
    editor = editor_factory(username="alice")
    refused = _refused_import(editor, tmp_path, settings)
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, editor.username)
    job = _start_bulk_edit(page, shirts)

    # Every page's header leads to the jobs, counting those in progress: the bulk edit
    # waits, the import was refused.
    expect(page.locator("#jobs-link")).to_have_text("Jobs (1 in progress)")
    page.locator("#jobs-link").click()
    expect(page.locator("#content h1")).to_have_text("Jobs")
    edit_row = page.locator("#job-list tr", has_text=f"Bulk edit #{job.pk}")
    import_row = page.locator("#job-list tr", has_text=f"Import #{refused.pk}")
    expect(edit_row).to_contain_text("Queued")
    expect(edit_row).to_contain_text("price +10%")
    expect(import_row).to_contain_text("Failed")
    expect(import_row).to_contain_text("The file has errors: nothing was saved")

    # The error report: a CSV file with the problem, as the import's page lists it.
    with page.expect_download() as download:
        import_row.get_by_role("link", name=f"Error report of Import #{refused.pk}").click()
    assert download.value.suggested_filename == f"import-{refused.pk}-errors.csv"
    report = download.value.path().read_text(encoding="utf-8")
    assert report.startswith("Product,Problem,How to fix")
    assert "BAD-1" in report and "cannot be negative" in report

    # Running, followed in place: one product of two done (the run held there).
    with HeldRun(job.pk):
        expect(edit_row).to_contain_text("Running", timeout=REFRESH_WAIT_MS)
        expect(edit_row).to_contain_text("1 of 2 products (50%)")
        expect(edit_row.locator("progress")).to_have_attribute("value", "50")
        _docs_screenshot(page, "editor-jobs")

        # Stop, from the list: back on it with the bulk edit's own message.
        edit_row.get_by_role("button", name=f"Stop Bulk edit #{job.pk}").click()
        expect(page.locator(".messagelist")).to_contain_text(
            f"Bulk edit {job.pk} stopped after 1 product"
        )
        expect(page).to_have_url("/admin/editors/job/")
    job.refresh_from_db()
    assert (job.status, job.done, job.changed) == (BulkEdit.Status.CANCELLED, 1, 1)
    assert Variant.objects.get(sku="SHIRT-1-S").price == Decimal("21.99")
    assert Variant.objects.get(sku="SHIRT-2-S").price == Decimal("19.99")  # never reached

    # Stopped: what it changed stays changed, and Undo leads to the bulk edit's own undo.
    page.reload()
    expect(edit_row).to_contain_text("Stopped")
    expect(edit_row.get_by_role("button", name=f"Stop Bulk edit #{job.pk}")).to_have_count(0)
    edit_row.get_by_role("link", name=f"Undo bulk edit #{job.pk}").click()
    page.get_by_role("button", name=f"Yes, undo bulk edit #{job.pk}").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"The undo of bulk edit {job.pk} has started"
    )
    # The undo runs in the import worker: Jobs says so, then that it is done.
    page.locator("#jobs-link").click()
    expect(edit_row).to_contain_text("Undoing: 0%")
    bulk_edit_undo_run(job_id=job.pk)  # the worker's step, here in the test's process
    page.reload()
    expect(edit_row).to_contain_text("Undone")
    expect(edit_row.get_by_role("link", name=f"Undo bulk edit #{job.pk}")).to_have_count(0)
    assert Variant.objects.get(sku="SHIRT-1-S").price == Decimal("19.99")
