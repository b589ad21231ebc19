"""An editor changes many products at once: select on the list, the form, the preview,
Apply, the progress moving on the job's page without a reload, and the undo.

The editors' guide's screenshots (``docs/editor-bulk-edit.png``, the form, and
``docs/editor-bulk-edit-preview.png``) are rewritten only with ``UPDATE_DOCS_SCREENSHOTS=1``.
The import worker's steps (the apply, then the undo) run here in the test's process once
each is queued, so the page is seen waiting, then following each to its end in place.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from catalog.bulkedit.jobs import bulk_edit_run
from catalog.bulkedit.undo import bulk_edit_undo_run
from catalog.models import BulkEdit, Variant
from editors.services import admin_theme_ensure
from testkit.on_commit import forget_all
from tests.browser.test_concurrency import _docs_screenshot
from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The job's page refreshes its figures every 2 s.
REFRESH_WAIT_MS = 10_000


@pytest.fixture
def shirts(editor_factory, product_factory, variant_factory, category_factory, settings):
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    shirts = category_factory(
        name="Shirts", slug="shirts", parent=category_factory(name="Clothing", slug="clothing")
    )
    for number, name in ((1, "Oxford shirt"), (2, "Linen shirt"), (3, "Flannel shirt")):
        product = product_factory(
            sku=f"SHIRT-{number}", name=name, slug=f"shirt-{number}", category=shirts
        )
        for size, price in (("S", "19.99"), ("M", "24.50")):
            variant_factory(
                product=product, sku=f"SHIRT-{number}-{size}", size=size, price=Decimal(price)
            )
    forget_all()
    return shirts


def test_select_edit_preview_apply_follow_and_undo(page: Page, editor_factory, shirts):
    editor = editor_factory(username="alice")
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, editor.username)

    # Select two products on the list, then "Edit selected products".
    page.goto(f"/admin/catalog/product/?category__id__exact={shirts.pk}")
    expect(page.locator("#bulk-edit-all")).to_have_text("Edit all 3 products matching this filter")
    page.get_by_role("checkbox", name="Select SHIRT-1 Oxford shirt").check()
    page.get_by_role("checkbox", name="Select SHIRT-2 Linen shirt").check()
    page.locator("select[name=action]").first.select_option("edit_selected")
    page.locator("button[name=index]").first.click()

    # The form: price +10% rounded to .99 and published; a price forgotten is said.
    expect(page.locator("#content-main")).to_contain_text(
        "2 products chosen on the product list: SHIRT-1, SHIRT-2"
    )
    page.locator("#id_status").select_option("published")
    page.locator("#id_price_change").select_option("price_percent")
    page.locator("#id_price_value").fill("10")
    page.locator("#id_round_99").check()
    _docs_screenshot(page, "editor-bulk-edit")
    page.locator("#id_price_value").fill("")
    page.get_by_role("button", name="Preview the changes").click()
    expect(page.locator(".errorlist")).to_contain_text("Give a price for this change.")
    page.locator("#id_price_value").fill("10")
    page.get_by_role("button", name="Preview the changes").click()

    # The preview: each product now and after; nothing written yet.
    table = page.locator("#bulk-edit-preview")
    expect(table).to_contain_text("Price of SHIRT-1-S")
    expect(table.locator("tr", has_text="Price of SHIRT-1-M")).to_contain_text("26.99")
    assert Variant.objects.get(sku="SHIRT-1-M").price == Decimal("24.50")
    _docs_screenshot(page, "editor-bulk-edit-preview")
    page.get_by_role("button", name="Apply to 2 products").click()

    # The job's page: waiting, then the worker's progress shown in place.
    job = BulkEdit.objects.get()
    expect(page).to_have_url(f"/admin/catalog/bulkedit/{job.pk}/change/")
    live = page.locator("#bulkedit-live")
    expect(live).to_contain_text("waiting to start")
    expect(live).to_contain_text("status Published, price +10%, prices rounded to .99")
    bulk_edit_run(job_id=job.pk)
    expect(page.locator("#bulkedit-live")).to_contain_text(
        "2 products changed, 0 conflicts", timeout=REFRESH_WAIT_MS
    )
    expect(page.locator("progress.bulk-edit-progress")).to_have_attribute("value", "100")
    assert Variant.objects.get(sku="SHIRT-1-M").price == Decimal("26.99")
    _docs_screenshot(page, "editor-bulk-edit-job")

    # Undo (offered once the job ended, without a reload), asked first; queued for the
    # import worker (its step run here too), the page follows it to what it restored.
    expect(page.locator("#bulkedit_cancel_form")).to_have_count(0)
    page.get_by_role("link", name=f"Undo bulk edit #{job.pk}").click()
    page.get_by_role("button", name=f"Yes, undo bulk edit #{job.pk}").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"The undo of bulk edit {job.pk} has started: this page follows it."
    )
    expect(page.locator(".field-undo_state")).to_contain_text("waiting to start")
    bulk_edit_undo_run(job_id=job.pk)
    expect(page.locator(".field-undo_state")).to_contain_text("Undone on", timeout=REFRESH_WAIT_MS)
    expect(page.locator(".field-undo_state")).to_contain_text("2 products restored")
    assert Variant.objects.get(sku="SHIRT-1-M").price == Decimal("24.50")
    assert Variant.objects.get(sku="SHIRT-3-M").price == Decimal("24.50")  # never selected
