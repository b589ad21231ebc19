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


DESCRIPTION = (
    "Light trail shoe with a grippy sole and a breathable mesh upper that dries fast after "
    "a river crossing. The cushioned midsole keeps long descents comfortable, and the "
    "reinforced toe cap protects against rocks and roots on technical ground."
)


def test_editor_sees_a_changed_word_highlighted_and_restores_a_variants_old_price(
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
        description=DESCRIPTION,
        status=Product.Status.DRAFT,
        category=category_factory(name="Running", slug="running"),
    )
    variant = variant_factory(
        product=product, sku="TRAIL-RUNNER-42", size="42", price=Decimal("129.00")
    )
    editor = editor_factory(username="alice")
    _log_in(page, editor.username)

    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    page.fill("#id_name", "Trail Runner Pro")
    page.fill("#id_description", DESCRIPTION.replace("grippy", "sticky"))  # one word
    page.select_option("#id_status", "published")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.fill("#id_variants-0-price", "139.00")  # a variant-only save
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.click("a.historylink")
    rows = page.locator("#change-history tbody tr")
    # Newest first: the burst of two saves, the variant added (by code, apart from the
    # product), the product's creation.
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("TRAIL-RUNNER-42 added")
    burst = rows.nth(0)
    changes = burst.locator("td").last
    expect(burst).to_contain_text(editor.username)
    # The row shows the whole change of the burst, variants included: text word by word,
    # the one changed word marked, the unchanged words far from it folded...
    row_diff = changes.locator("ul.history-changes").first
    expect(row_diff.locator("del.diff-removed")).to_have_text(["grippy"])
    expect(row_diff.locator("ins.diff-added")).to_have_text(["sticky", "Pro"])  # description, name
    fold = row_diff.locator("button.diff-expand").last
    expect(fold).to_have_text("… 27 unchanged words …")
    folded = row_diff.locator("span.diff-folded").last
    expect(folded).to_be_hidden()
    expect(folded).to_contain_text("protects against rocks")  # in the page, not on screen
    expect(changes).to_contain_text("Status: Draft → Published")
    expect(changes).to_contain_text("TRAIL-RUNNER-42 price 129.00 → 139.00")
    fold.click()  # ...and shown in place on request
    expect(folded).to_be_visible()
    expect(fold).to_be_hidden()
    expect(fold).to_have_attribute("aria-expanded", "true")
    # The burst opens to each save with its own diff.
    saves = changes.locator("details.history-saves > ol > li")
    expect(saves).to_have_count(2)
    expect(saves.nth(0)).not_to_be_visible()
    changes.locator("summary").click()
    expect(saves.nth(0)).to_be_visible()
    expect(saves.nth(0)).to_contain_text("TRAIL-RUNNER-42 price 129.00 → 139.00")
    expect(saves.nth(0)).not_to_contain_text("Name:")
    expect(saves.nth(1).locator("ins.diff-added")).to_have_text(["sticky", "Pro"])

    saves.nth(1).locator("a").first.click()  # the first save's version page
    preview = page.locator("#restore-preview")
    expect(preview).to_contain_text("the version of")
    expect(preview).to_contain_text(", by alice")
    price = preview.locator("tr.restore-variant[data-sku='TRAIL-RUNNER-42']")
    expect(price.locator("td")).to_have_text(["139.00", "129.00"])  # now, after restore
    expect(page.locator("#id_name")).to_have_value("Trail Runner Pro")
    screenshot(page, "product-restore")
    page.click("input[type=submit][value='Restore this version']")

    expect(page.locator(".messagelist")).to_contain_text("Restored the version of")
    expect(page.locator(".messagelist")).to_contain_text("1 variant changed")
    variant.refresh_from_db()
    assert variant.price == Decimal("129.00")  # the variant's old price is back
    product.refresh_from_db()
    assert (product.name, product.status) == ("Trail Runner Pro", "published")
    page.goto(f"/admin/catalog/product/{product.pk}/history/")
    expect(rows).to_have_count(4)  # the restore is a row of its own, with its reason
    restore = rows.nth(0)
    expect(restore.locator("td").nth(3)).to_have_text("alice")
    expect(restore.locator("td").nth(4)).to_contain_text("Restored the version of")
    expect(restore.locator("td").last).to_contain_text("TRAIL-RUNNER-42 price 139.00 → 129.00")
    taken = screenshot(page, "product-history")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(taken, DOCS_SCREENSHOT)


def test_a_variant_change_made_by_an_import_is_on_its_products_history(
    page: Page, editor_factory, variant_factory, tmp_path
):
    from catalog.imports.services import catalog_import

    variant = variant_factory(
        sku="CAP-1-M",
        size="M",
        colour="",
        price=Decimal("12.00"),
        stock=4,
        product__sku="CAP-1",
        product__category=None,
    )
    product = variant.product
    editor = editor_factory(username="bob")
    header = (
        "product_sku,name,slug,status,category,description,version,"
        "variant_sku,size,colour,price,currency,stock"
    )
    row = [product.sku, product.name, product.slug, product.status, "", product.description]
    row += ["", "CAP-1-M", "M", "", "14.00", "EUR", "4"]
    path = tmp_path / "supplier prices.csv"
    path.write_text(f"{header}\n{','.join(row)}\n", encoding="utf-8")
    assert catalog_import(path=path, user=editor).applied  # only the variant's price changes

    _log_in(page, editor.username)
    page.goto(f"/admin/catalog/product/{product.pk}/history/")

    newest = page.locator("#change-history tbody tr").first
    cells = newest.locator("td")
    expect(cells.nth(0)).to_have_text("Variant CAP-1-M")
    expect(cells.nth(3)).to_have_text("bob")
    expect(cells.nth(4)).to_have_text("Import of supplier prices.csv")
    expect(cells.last).to_contain_text("CAP-1-M price 12.00 → 14.00")
