"""Two editors in two browsers on one product: presence notices and the conflict form.

Screenshots of both go into the editors' guide; rewritten only on request
(``UPDATE_DOCS_SCREENSHOTS=1``), so a test run leaves the work tree clean.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from catalog.models import Product
from editors.services import admin_theme_ensure
from tests.browser.conftest import screenshot
from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: The page polls every 10 s: a notice may take one poll to appear.
POLL_WAIT_MS = 25_000


def _docs_screenshot(page: Page, name: str) -> None:
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") != "1":
        screenshot(page, name)
        return
    # The whole page in one window, so the save bar kept at the window's bottom ends the
    # picture instead of crossing it halfway; the window is put back after.
    before = page.viewport_size or {"width": 1366, "height": 768}
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": before["width"], "height": max(before["height"], height)})
    taken = screenshot(page, name)
    page.set_viewport_size(before)
    shutil.copyfile(taken, DOCS / f"{name}.png")


def test_two_editors_see_each_other_and_resolve_a_conflict_by_choice(
    page: Page,
    second_page: Page,
    editor_factory,
    product_factory,
    variant_factory,
    category_factory,
    settings,
):
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    product = product_factory(
        sku="TRAIL-RUNNER",
        name="Trail Runner",
        slug="trail-runner",
        description="Light trail shoe.",
        category=category_factory(name="Running", slug="running"),
    )
    variant_factory(product=product, sku="TRAIL-RUNNER-42", size="42", price="89.00")
    alice, bob = page, second_page
    editor_factory(username="alice")
    editor_factory(username="bob")
    url = f"/admin/catalog/product/{product.pk}/change/"
    _log_in(alice, "alice")
    _log_in(bob, "bob")
    alice.goto(url)
    bob.goto(url)

    expect(bob.locator("#edit-presence-others")).to_contain_text(
        "alice is also editing this product (opened"
    )

    alice.fill("#id_name", "Trail Runner Pro")
    alice.click("input[name=_continue]")
    expect(alice.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(bob.locator("#edit-presence-saved")).to_contain_text(
        "Saved by alice at", timeout=POLL_WAIT_MS
    )

    bob.fill("#id_name", "Trail Runner GTX")
    bob.fill("#id_description", "Light trail shoe, waterproof.")
    bob.click("input[name=_continue]")

    conflict = bob.locator("#edit-conflicts tr.edit-conflict")
    expect(conflict).to_have_count(1)
    # Who and when, not "someone else".
    expect(bob.locator("#edit-conflicts h2")).to_contain_text(
        re.compile(r"Changed by you and by alice at \d\d:\d\d")
    )
    expect(conflict.locator("th")).to_have_text("Name")
    expect(conflict.locator(".theirs")).to_have_text("Trail Runner Pro")
    expect(conflict.locator(".mine")).to_have_text("Trail Runner GTX")
    expect(bob.locator("#id_name")).to_have_value("Trail Runner GTX")  # input kept
    assert Product.objects.get(pk=product.pk).name == "Trail Runner Pro"  # nothing saved
    _docs_screenshot(bob, "editor-conflict")

    conflict.get_by_label("keep mine").check()
    bob.click("input[name=_continue]")

    expect(bob.locator(".messagelist")).to_contain_text("was changed successfully")
    product.refresh_from_db()
    assert (product.name, product.description) == (
        "Trail Runner GTX",
        "Light trail shoe, waterproof.",
    )
