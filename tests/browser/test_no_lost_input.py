"""No lost input: an editor's typing survives Recompute, leaving, a closed tab and another
editor's save (issue #24). Headless Chromium on the live server, as an editor uses it.

Recompute needs a real batch worker (``test_fresh_figures.batch_worker``): the figures
must arrive on the page the editor never left.
"""

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from catalog.models import Product, Variant
from stats.recompute.products import product_stats_recompute
from tests.browser.test_concurrency import POLL_WAIT_MS, _docs_screenshot
from tests.browser.test_fresh_figures import FIGURES_WITHIN_MS, batch_worker
from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["batch_worker"]  # a fixture, used by name below

#: Something the page keeps only as long as it is not reloaded.
MARK = "window.__notReloaded"


def _change_url(product: Product) -> str:
    return f"/admin/catalog/product/{product.pk}/change/"


def _type(page: Page, selector: str, text: str) -> None:
    """Type as an editor does (a click, then keys): the browser counts it as input."""
    page.click(selector)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)


@pytest.mark.integration
def test_typing_then_pressing_recompute_keeps_the_typing(
    page: Page, batch_worker, editor, variant_factory
):
    variant = variant_factory(stock=10)
    product = variant.product
    product_stats_recompute(product_ids=[product.pk])
    Variant.objects.filter(pk=variant.pk).update(stock=3)  # figures now out of date
    _log_in(page, editor.username)
    page.goto(_change_url(product))
    total = page.locator(".field-stats_total_stock .readonly")
    expect(total).to_have_text("10 in 1 variant")
    page.evaluate(f"{MARK} = true")
    _type(page, "#id_name", "Typed, not saved")

    page.get_by_role("button", name="Recompute statistics").click()

    expect(page.locator("ul.messagelist")).to_contain_text("Recomputing the statistics")
    expect(total).to_have_text("3 in 1 variant", timeout=FIGURES_WITHIN_MS)
    expect(page.locator("#id_name")).to_have_value("Typed, not saved")
    assert page.evaluate(MARK) is True  # the same page: never reloaded


def test_leaving_a_changed_form_asks_and_saving_it_does_not(page: Page, editor, product_factory):
    product = product_factory(name="Trail Runner")
    _log_in(page, editor.username)
    page.goto(_change_url(product))
    dialogs: list[str] = []

    def stay(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    _type(page, "#id_name", "Trail Runner Pro")
    page.locator("#content-main .object-tools a", has_text="History").click()

    expect(page.locator("#id_name")).to_have_value("Trail Runner Pro")
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(_change_url(product))  # stayed, input kept

    page.click("input[name=_continue]")  # the form's own submit: no question

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert dialogs == ["beforeunload"]
    assert Product.objects.get(pk=product.pk).name == "Trail Runner Pro"
    page.locator("#content-main .object-tools a", has_text="History").click()
    expect(page).to_have_url(re.compile(r"/history/$"))  # nothing unsaved: no question
    assert dialogs == ["beforeunload"]


def test_a_closed_tabs_input_is_offered_back_then_dropped_once_saved(
    page: Page, editor, product_factory
):
    product = product_factory(description="Light trail shoe.")
    _log_in(page, editor.username)
    page.goto(_change_url(product))
    _type(page, "#id_description", "Light trail shoe, waterproof.")
    context = page.context
    page.close()  # the tab closed without a word (no beforeunload)

    tab = context.new_page()
    tab.goto(_change_url(product))

    offer = tab.locator("#edit-draft")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text(re.compile(r"Restore your unsaved changes from \d\d:\d\d\?"))
    expect(tab.locator("#id_description")).to_have_value("Light trail shoe.")  # not silently
    _docs_screenshot(tab, "editor-restore-draft")
    offer.get_by_role("button", name="Restore").click()
    expect(tab.locator("#id_description")).to_have_value("Light trail shoe, waterproof.")
    expect(offer).to_be_hidden()
    tab.click("input[name=_continue]")
    expect(tab.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Product.objects.get(pk=product.pk).description == "Light trail shoe, waterproof."

    tab.goto(_change_url(product))  # saved: nothing left to offer
    expect(tab.locator("#edit-presence")).to_be_attached()
    expect(offer).to_be_hidden()
    assert tab.evaluate("Object.keys(localStorage).filter(k => k.includes('draft'))") == []


def test_a_closed_tabs_input_can_be_discarded(page: Page, editor, product_factory):
    product = product_factory(name="Trail Runner")
    _log_in(page, editor.username)
    page.goto(_change_url(product))
    _type(page, "#id_name", "Not wanted")
    context = page.context
    page.close()
    tab = context.new_page()
    tab.goto(_change_url(product))

    tab.locator("#edit-draft").get_by_role("button", name="Discard").click()

    expect(tab.locator("#edit-draft")).to_be_hidden()
    expect(tab.locator("#id_name")).to_have_value("Trail Runner")
    tab.reload()
    expect(tab.locator("#edit-presence")).to_be_attached()
    expect(tab.locator("#edit-draft")).to_be_hidden()


def test_bring_their_changes_keeps_my_field_and_takes_theirs(
    page: Page, second_page: Page, editor_factory, product_factory, variant_factory
):
    product = product_factory(name="Trail Runner", description="Light trail shoe.")
    variant_factory(product=product, sku="TR-42", price="89.00")
    alice, bob = page, second_page
    editor_factory(username="alice")
    editor_factory(username="bob")
    _log_in(alice, "alice")
    _log_in(bob, "bob")
    bob.goto(_change_url(product))
    bob.evaluate(f"{MARK} = true")
    _type(bob, "#id_description", "Light trail shoe, waterproof.")
    alice.goto(_change_url(product))
    _type(alice, "#id_name", "Trail Runner Pro")
    alice.fill("#id_variants-0-price", "79.00")
    alice.click("input[name=_continue]")
    expect(alice.locator(".messagelist")).to_contain_text("was changed successfully")

    notice = bob.locator("#edit-presence-saved")
    expect(notice).to_contain_text(re.compile(r"Saved by alice at \d\d:\d\d"), timeout=POLL_WAIT_MS)
    # The foot of the long form (below Statistics and Variants), then the notice again.
    bob.locator("#variants-group .add-row").scroll_into_view_if_needed()
    expect(bob.locator("#id_sku")).not_to_be_in_viewport()
    expect(notice).to_be_in_viewport()  # the notice stays in view
    expect(bob.locator("#edit-presence")).to_have_attribute("role", "status")
    _docs_screenshot(bob, "editor-presence")

    notice.get_by_role("button", name="Bring their changes into my form").click()

    expect(bob.locator("#edit-presence-brought")).to_contain_text("by alice at")
    expect(bob.locator("#id_name")).to_have_value("Trail Runner Pro")  # theirs
    expect(bob.locator("#id_variants-0-price")).to_have_value("79.00")  # theirs
    expect(bob.locator("#id_description")).to_have_value("Light trail shoe, waterproof.")
    assert bob.evaluate(MARK) is True  # brought in without a reload
    assert Product.objects.get(pk=product.pk).description == "Light trail shoe."  # not saved

    bob.click("input[name=_continue]")

    expect(bob.locator(".messagelist")).to_contain_text("was changed successfully")
    product.refresh_from_db()
    assert (product.name, product.description) == (
        "Trail Runner Pro",
        "Light trail shoe, waterproof.",
    )
    assert str(product.variants.get().price) == "79.00"
