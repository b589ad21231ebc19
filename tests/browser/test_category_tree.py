"""Catalog > Categories in Chromium: the tree, its counts, View products, the parent picker.

``docs/editor-category-tree.png`` is taken here; rewritten only with
``UPDATE_DOCS_SCREENSHOTS=1``, so a test run leaves the work tree clean.
"""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from catalog.models import Category
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_product_admin import _log_in
from tests.factories import CategoryFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "editor-category-tree.png"

#: name -> (parent, products filed directly under it)
SHOP = {
    "Clothing": (None, 2),
    "Shirts": ("Clothing", 3),
    "Oxford shirts": ("Shirts", 4),
    "Jackets": ("Clothing", 5),
    "Shoes": (None, 1),
    "Boots": ("Shoes", 6),
}


def _shop() -> dict[str, Category]:
    made: dict[str, Category] = {}
    for name, (parent, products) in SHOP.items():
        slug = name.lower().replace(" ", "-")
        made[name] = CategoryFactory(name=name, slug=slug, parent=made.get(parent or ""))
        ProductFactory.create_batch(products, category=made[name])
    return made


def test_an_editor_reads_the_tree_and_opens_a_branchs_products(page: Page, editor):
    _shop()
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, editor.username)

    page.goto("/admin/catalog/category/")

    expect(page.locator("#content h1")).to_have_text("Categories")
    names = page.locator("#result_list td.field-tree_name a")
    expect(names).to_have_text(["Clothing", "Jackets", "Shirts", "Oxford shirts", "Shoes", "Boots"])
    # Each level sits further right than its parent.
    left = [box["x"] for box in (names.nth(i).bounding_box() for i in range(4)) if box]
    assert left[0] < left[1] == left[2] < left[3]
    expect(page.locator("#result_list td.field-products_total")).to_have_text(
        ["14", "5", "7", "4", "7", "6"]
    )
    taken = SCREENSHOTS / "category-tree.png"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(taken))
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(taken, DOCS_SCREENSHOT)

    page.get_by_role("link", name="View products of Shirts").click()

    expect(page.locator("#content h1")).to_have_text("Products")
    expect(page.locator("#result_list tbody tr")).to_have_count(7)
    # In the list's own order (newest change first): compared as a set.
    shown = set(page.locator("#result_list td.field-category").all_inner_texts())
    assert shown == {"Shirts", "Oxford shirts"}


def test_the_parent_picker_shows_paths_and_never_the_category_or_its_subtree(page: Page, editor):
    shop = _shop()
    _log_in(page, editor.username)

    page.goto(f"/admin/catalog/category/{shop['Shirts'].pk}/change/")
    expect(page.locator(".field-parent .select2-selection")).to_contain_text("Clothing")
    page.click(".field-parent .select2-selection")

    options = page.locator(".select2-results__option")
    expect(options).to_have_text(["Clothing", "Clothing / Jackets", "Shoes", "Shoes / Boots"])

    page.fill(".select2-search__field", "shirts")
    expect(options).to_have_text(["No results found"])
