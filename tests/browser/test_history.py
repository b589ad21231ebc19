import os
import shutil
from decimal import Decimal
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


def test_editor_sees_a_burst_as_one_row_opens_each_save_and_reverts_to_the_first(
    page: Page, editor_factory, product_factory, variant_factory, category_factory, settings
):
    # live_server runs in this process, so the setting reaches its requests.
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    # The screenshot goes into the docs: our theme, whatever earlier tests left in the
    # theme cache (a flushed database has no theme row at all).
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    product = product_factory(
        sku="TRAIL-RUNNER",
        name="Trail Runner",
        slug="trail-runner",
        description="Light trail shoe with a grippy sole.",
        status=Product.Status.DRAFT,
        category=category_factory(name="Running", slug="running"),
    )
    variant_factory(product=product, sku="TRAIL-RUNNER-42", size="42", price=Decimal("129.00"))
    editor = editor_factory(username="alice")
    _log_in(page, editor.username)

    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    page.fill("#id_name", "Trail Runner Pro")
    page.select_option("#id_status", "published")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.fill("#id_variants-0-price", "139.00")  # a variant-only save
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.click("a.historylink")
    rows = page.locator("#change-history tbody tr")
    expect(rows).to_have_count(2)  # the burst of two saves (newest first), the creation
    burst = rows.nth(0)
    changes = burst.locator("td").last
    expect(burst).to_contain_text(editor.username)
    # The row shows the whole change of the burst, variants included...
    expect(changes).to_contain_text("Name: Trail Runner → Trail Runner Pro")
    expect(changes).to_contain_text("Status: Draft → Published")
    expect(changes).to_contain_text("TRAIL-RUNNER-42 price 129.00 → 139.00")
    # ...and opens to each save with its own diff.
    saves = changes.locator("details.history-saves > ol > li")
    expect(saves).to_have_count(2)
    expect(saves.nth(0)).not_to_be_visible()
    changes.locator("summary").click()
    expect(saves.nth(0)).to_be_visible()
    expect(saves.nth(0)).to_contain_text("TRAIL-RUNNER-42 price 129.00 → 139.00")
    expect(saves.nth(0)).not_to_contain_text("Name:")
    expect(saves.nth(1)).to_contain_text("Name: Trail Runner → Trail Runner Pro")
    taken = screenshot(page, "product-history")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(taken, DOCS_SCREENSHOT)

    saves.nth(1).locator("a").first.click()  # the first save's version page
    expect(page.locator("#id_name")).to_have_value("Trail Runner Pro")
    page.click("input[type=submit][value=Revert]")

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    product.refresh_from_db()
    assert (product.name, product.status) == ("Trail Runner Pro", "published")
    assert product.history.count() == 4  # created, two saves, the revert: none deleted
    page.goto(f"/admin/catalog/product/{product.pk}/history/")
    expect(rows).to_have_count(2)  # alice's revert joins her burst
    expect(rows.nth(0).locator("details.history-saves > ol > li")).to_have_count(3)
