"""Saved views in a browser: save a view with a filter and columns, make it the default,
the list opens on it; a teammate opens the shared view.

``docs/editor-saved-views.png`` is taken here (rewritten only with
``UPDATE_DOCS_SCREENSHOTS=1``).
"""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from catalog.listviews.models import SavedView
from editors.services import admin_theme_ensure
from testkit.on_commit import forget_all
from tests.browser.test_concurrency import _docs_screenshot
from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shirts(product_factory, variant_factory, category_factory, settings):
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    shirts = category_factory(name="Shirts", slug="shirts")
    for number, name, status in (
        (1, "Oxford shirt", "draft"),
        (2, "Linen shirt", "draft"),
        (3, "Flannel shirt", "published"),
    ):
        product = product_factory(
            sku=f"SHIRT-{number}", name=name, slug=f"shirt-{number}", category=shirts, status=status
        )
        for size, price, stock in (("S", "19.99", 4), ("M", "24.50", number)):
            variant_factory(
                product=product,
                sku=f"SHIRT-{number}-{size}",
                size=size,
                price=Decimal(price),
                stock=stock,
            )
    forget_all()
    return shirts


def _rows(page: Page) -> list[str]:
    return page.locator("#result_list tbody .field-sku").all_inner_texts()


def test_save_a_view_make_it_the_default_and_a_teammate_opens_it(
    page: Page, second_page: Page, editor_factory, shirts
):
    alice = editor_factory(username="alice")
    editor_factory(username="bob")
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, alice.username)
    page.goto("/admin/catalog/product/")
    expect(page.locator("#saved-views-current")).to_have_text("All products")

    # Columns: the price range and the total stock, stock first.
    page.locator("#saved-views-columns").click()
    page.locator("#show-total_stock").check()
    page.locator("#position-total_stock").fill("3")
    page.locator("#show-price_range").check()
    page.locator("#position-price_range").fill("4")
    page.get_by_role("button", name="Show these columns").click()
    expect(page.locator("#result_list thead")).to_contain_text("Total stock")
    headers = page.locator("#result_list thead th").all_inner_texts()
    assert [h.strip().upper() for h in headers[1:5]] == ["SKU", "NAME", "TOTAL STOCK", "PRICE"]

    # A filter (drafts only), then save it as a shared default view.
    page.goto("/admin/catalog/product/?status__exact=draft")
    assert sorted(_rows(page)) == ["SHIRT-1", "SHIRT-2"]
    row = page.locator("#result_list tbody tr", has_text="SHIRT-2")
    expect(row.locator("td.field-price_range")).to_have_text("€19.99 \u2013 €24.50")
    expect(row.locator("td.field-total_stock")).to_have_text("6")
    page.locator("#saved-views-menu summary").click()
    page.locator("#saved-view-name").fill("Draft shirts")
    page.get_by_label("Share with the team").check()
    page.get_by_label("Make it my default").check()
    _docs_screenshot(page, "editor-saved-views")
    page.get_by_role("button", name="Save this view").click()
    expect(page.locator(".messagelist")).to_contain_text("View “Draft shirts” saved.")
    expect(page.locator("#saved-views-current")).to_have_text("Draft shirts")

    # The plain list opens on the default; "All products" is one click away.
    page.goto("/admin/catalog/product/")
    expect(page.locator("#saved-views-current")).to_have_text("Draft shirts")
    assert sorted(_rows(page)) == ["SHIRT-1", "SHIRT-2"]
    expect(page.locator("#result_list thead")).to_contain_text("Total stock")
    page.locator("#saved-views-menu summary").click()
    page.locator("#saved-views-all").click()
    expect(page.locator("#saved-views-current")).to_have_text("All products")
    assert sorted(_rows(page)) == ["SHIRT-1", "SHIRT-2", "SHIRT-3"]

    # Bob sees the shared view, marked as Alice's, opens it and gets its columns.
    _log_in(second_page, "bob")
    second_page.goto("/admin/catalog/product/")
    expect(second_page.locator("#saved-views-current")).to_have_text("All products")
    second_page.locator("#saved-views-menu summary").click()
    menu = second_page.locator("#saved-views-menu")
    expect(menu.locator("li", has_text="Draft shirts")).to_contain_text("shared by alice")
    menu.get_by_role("link", name="Draft shirts").click()
    expect(second_page.locator("#saved-views-current")).to_have_text("Draft shirts")
    assert sorted(_rows(second_page)) == ["SHIRT-1", "SHIRT-2"]
    expect(second_page.locator("#result_list thead")).to_contain_text("Price")
    # He cannot change it: no "Update" for him, and its page is not his.
    second_page.goto(f"/admin/catalog/product/?status__exact=published&view={_view_id()}")
    expect(second_page.locator("#saved-views-update")).to_have_count(0)


def _view_id() -> int:
    return SavedView.objects.get(name="Draft shirts").pk
