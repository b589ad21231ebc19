"""The product list on a 1,366 x 768 screen: every column in sight, the editors' questions.

``docs/editor-product-list.png`` is taken here; rewritten only with
``UPDATE_DOCS_SCREENSHOTS=1``, so a test run leaves the work tree clean.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from catalog.demo import catalog_seed
from catalog.models import Category, Product, Variant
from catalog.selectors import category_subtrees, category_tree
from editors.services import admin_theme_ensure
from stats.models import ProductStats
from stats.recompute.products import product_stats_recompute
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "editor-product-list.png"


def _choose(page: Page, filter_title: str, option: str) -> None:
    """Pick the option whose text starts with ``option`` in the theme's filter drop-down."""
    select = page.locator(".list-filter-dropdown", has_text=filter_title).locator("select")
    value = select.locator("option", has_text=re.compile(rf"^\s*{re.escape(option)}")).first
    select.select_option(value=value.get_attribute("value"))
    page.wait_for_load_state()


def _column_texts(page: Page, column: str) -> list[str]:
    return page.locator(f"#result_list tbody td.field-{column}").all_inner_texts()


def test_the_list_fits_1366_px_and_answers_subcategory_stock_and_completeness_questions(
    page: Page, editor, settings
):
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    catalog_seed(products=150)
    ids = sorted(Product.objects.values_list("id", flat=True))
    # On top of the list: two low-stock products and a name longer than its column;
    # below them the three newest products, never computed.
    Variant.objects.filter(product_id__in=ids[:2]).update(stock=1)
    Product.objects.filter(pk=ids[2]).update(
        name="An extraordinarily comfortable waterproof hiking boot, limited edition"
    )
    Product.objects.filter(pk__in=ids[:3]).update(updated_at=timezone.now())
    product_stats_recompute(product_ids=ids[:-3])
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, editor.username)

    page.goto("/admin/catalog/product/")

    # No column cut off: the table is no wider than its box, and the statistics
    # columns end inside the window.
    table, box = page.evaluate(
        "[document.querySelector('#result_list').scrollWidth,"
        " document.querySelector('#changelist-form .results').clientWidth]"
    )
    assert table <= box
    for column in ("stats_stock_status", "stats_completeness"):
        bounds = page.locator(f"#result_list th.column-{column}").bounding_box()
        assert bounds is not None and bounds["x"] + bounds["width"] <= 1366
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    taken = SCREENSHOTS / "product-list.png"
    page.screenshot(path=str(taken))  # the window, as the editor sees it
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(taken, DOCS_SCREENSHOT)

    # Clothing lists the products of its subcategories.
    clothing = Category.objects.get(name="Clothing")
    subtree = category_subtrees([clothing.pk], category_tree())
    in_clothing = Product.objects.filter(category_id__in=subtree).count()
    _choose(page, "category", f"Clothing ({in_clothing:,})")
    expect(page.locator(".paginator")).to_contain_text(f"{in_clothing} products")
    names = set(Category.objects.filter(pk__in=subtree).values_list("name", flat=True))
    assert set(_column_texts(page, "category")) <= names - {"Clothing"}

    # Sorted by completeness, lowest first; then only the low-stock products.
    page.goto("/admin/catalog/product/")
    page.locator("#result_list th.column-stats_completeness a").first.click()
    expect(page).to_have_url(re.compile(r"o=\d+"))
    shown = [int(text.rstrip("%")) for text in _column_texts(page, "stats_completeness")]
    lowest = ProductStats.objects.order_by("completeness").values_list("completeness", flat=True)
    assert shown == list(lowest[: len(shown)])
    _choose(page, "stock status", "Low stock")
    low = ProductStats.objects.filter(stock_status=ProductStats.StockStatus.LOW).count()
    assert low >= 2
    expect(page.locator("#result_list tbody tr")).to_have_count(low)
    assert set(_column_texts(page, "stats_stock_status")) == {"Low stock"}
