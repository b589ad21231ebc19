"""The editor's main path with the keyboard alone: log in, edit, save, recompute."""

import pytest
from playwright.sync_api import Page, expect

from catalog.models import Product
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: A page's controls are reached in at most this many Tab presses, or the path is broken.
MAX_TABS = 120


def _tab_to(page: Page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user moves through a page."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab within {MAX_TABS} presses")


def test_edit_save_and_recompute_with_the_keyboard_alone(page: Page, editor, variant_factory):
    product = variant_factory().product

    page.goto("/admin/login/")
    _tab_to(page, "#id_username")
    page.keyboard.type(editor.username)
    _tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#user-tools")).to_contain_text(editor.username)

    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    _tab_to(page, "#id_name")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Typed with the keyboard")
    _tab_to(page, "input[name=_continue]")
    page.keyboard.press("Enter")
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    assert Product.objects.get(pk=product.pk).name == "Typed with the keyboard"

    _tab_to(page, "form[data-object-action] button[type=submit]")  # Recompute statistics
    assert page.evaluate("document.activeElement.textContent").strip().lower() == (
        "recompute statistics"
    )
    page.keyboard.press("Enter")
    expect(page.locator("ul.messagelist")).to_contain_text("Recomputing the statistics")
