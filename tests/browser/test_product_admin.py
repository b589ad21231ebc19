from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from catalog.models import Product
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)


def _fill_variant(page: Page, index: int, sku: str, price: str) -> None:
    page.fill(f"#id_variants-{index}-sku", sku)
    page.fill(f"#id_variants-{index}-size", "M")
    page.fill(f"#id_variants-{index}-colour", "blue")
    page.fill(f"#id_variants-{index}-price", price)
    page.fill(f"#id_variants-{index}-stock", "7")


def test_editor_creates_product_with_two_variants_after_fixing_a_negative_price(
    page: Page, editor, category_factory
):
    category_factory(name="Sneakers", slug="sneakers")
    _log_in(page, editor.username)

    page.goto("/admin/catalog/product/add/")
    page.fill("#id_sku", "BROWSER-1")
    page.locator("#id_name").press_sequentially("Browser Runner")
    expect(page.locator("#id_slug")).to_have_value("browser-runner")  # prepopulated by JS
    page.fill("#id_description", "Made in a headless browser.")
    page.click(".field-category .select2-selection")
    page.fill(".select2-search__field", "sneak")
    page.click(".select2-results__option >> text=Sneakers")
    _fill_variant(page, 0, "BROWSER-1-M", "49.90")
    page.click(".add-row a")
    _fill_variant(page, 1, "BROWSER-1-L", "-5")
    page.click("input[name=_save]")

    # The summary at the top names the field and its row, and links to it.
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Variants, row 2 (BROWSER-1-L), Price: A price cannot")
    summary.get_by_role("link", name="Variants, row 2 (BROWSER-1-L), Price").click()
    expect(page.locator("#id_variants-1-price")).to_be_focused()
    expect(page.locator("#variants-group")).to_contain_text("A price cannot be negative.")
    screenshot(page, "product-negative-price")

    page.fill("#id_variants-1-price", "54.90")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    page.fill("#searchbar", "BROWSER-1")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list")).to_contain_text("Browser Runner")
    expect(page.locator("#result_list")).to_contain_text("Sneakers")
    screenshot(page, "product-changelist")

    product = Product.objects.get(sku="BROWSER-1")
    assert product.category.slug == "sneakers"
    assert sorted(product.variants.values_list("sku", "price")) == [
        ("BROWSER-1-L", Decimal("54.90")),
        ("BROWSER-1-M", Decimal("49.90")),
    ]
