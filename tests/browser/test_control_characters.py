"""A product that holds control characters (an older import left them) is fixed in the browser.

Chromium shows a NUL as the replacement character "\ufffd" (the HTML parser's rule) and
posts that back, so the editor sees where it was; other control characters stay invisible
and come back unchanged: the save is refused with an error on that field saying where.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_opens_a_product_holding_control_characters_and_saves_it_fixed(
    page: Page, editor, product_factory, variant_factory
):
    product = product_factory(name="Blue\x00 shirt", description="Soft\x01 cotton.")
    variant_factory(product=product, sku="CTRL-1-M", colour="navy\x1b")
    _log_in(page, editor.username)

    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    expect(page.locator("#id_name")).to_have_value("Blue\ufffd shirt")
    page.click("input[name=_save]")

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("fix these 2 problems")
    expect(summary.get_by_role("link", name="Description")).to_be_visible()
    expect(summary.get_by_role("link", name="Variants, row 1 (CTRL-1-M), Colour")).to_be_visible()
    expect(page.locator(".field-description .errorlist")).to_have_text(
        "This text contains an invisible control character (U+0001) after 'Soft': "
        "delete it, or type the text again instead of pasting it."
    )
    expect(page.locator("#variants-group .errorlist")).to_contain_text("(U+001B) after 'navy'")
    expect(page.locator(".field-name .errorlist")).to_have_count(0)

    page.fill("#id_name", "Blue shirt")
    page.fill("#id_description", "Soft cotton.")
    page.fill("#id_variants-0-colour", "navy")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    product.refresh_from_db()
    assert (product.name, product.description) == ("Blue shirt", "Soft cotton.")
    assert product.variants.get().colour == "navy"
