import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from catalog.models import Product
from editors.services import admin_theme_ensure
from tests.browser.conftest import screenshot
from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Committed, and shown in the README's "Editor's workflow" section. Rewritten only on
#: request (``UPDATE_DOCS_SCREENSHOTS=1``), so a test run leaves the work tree clean.
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "editor-history.png"


def test_editor_sees_both_saves_with_their_diffs_and_reverts_to_the_first(
    page: Page, editor_factory, product_factory, category_factory, settings
):
    # live_server runs in this process, so the setting reaches its requests: keep both saves.
    settings.EDITORS_HISTORY_FOLD_SECONDS = 0
    # The screenshot goes into the docs: our theme, whatever earlier tests left in the
    # theme cache (a flushed database has no theme row at all).
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    product = product_factory(
        sku="TRAIL-RUNNER",
        name="Trail Runner",
        slug="trail-runner",
        status=Product.Status.DRAFT,
        category=category_factory(name="Running", slug="running"),
    )
    editor = editor_factory(username="alice")
    _log_in(page, editor.username)

    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    page.fill("#id_name", "Trail Runner Pro")
    page.select_option("#id_status", "published")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.fill("#id_name", "Trail Runner Pro GTX")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.click("a.historylink")
    rows = page.locator("#change-history tbody tr")
    expect(rows).to_have_count(3)  # the creation and the two saves, newest first
    second, first = rows.nth(0), rows.nth(1)
    expect(second).to_contain_text(editor.username)
    expect(second.locator("td").last).to_contain_text(
        "Name: Trail Runner Pro → Trail Runner Pro GTX"
    )
    expect(first.locator("td").last).to_contain_text("Name: Trail Runner → Trail Runner Pro")
    expect(first.locator("td").last).to_contain_text("Status: Draft → Published")
    taken = screenshot(page, "product-history")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(taken, DOCS_SCREENSHOT)

    first.locator("td").first.locator("a").click()
    expect(page.locator("#id_name")).to_have_value("Trail Runner Pro")
    page.click("input[type=submit][value=Revert]")

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    product.refresh_from_db()
    assert (product.name, product.status) == ("Trail Runner Pro", "published")
    page.goto(f"/admin/catalog/product/{product.pk}/history/")
    expect(rows).to_have_count(4)
    expect(rows.nth(0).locator("td").last).to_contain_text(
        "Name: Trail Runner Pro GTX → Trail Runner Pro"
    )
