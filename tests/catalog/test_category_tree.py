"""Catalog > Categories as a tree: order, indent, subtree counts, links, a bounded cost."""

import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.admin.category import CategoryAdmin
from catalog.admin.filters import INDENT
from catalog.models import Category

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:catalog_category_changelist")


@pytest.fixture
def shop(category_factory, product_factory) -> dict[str, Category]:
    """Accessories; Clothing > (Jackets, Shirts > Oxford); products at every level."""

    def category(name: str, parent: Category | None = None) -> Category:
        return category_factory(name=name, slug=name.lower(), parent=parent)

    clothing = category("Clothing")
    shirts = category("Shirts", clothing)
    tree = {
        "Accessories": category("Accessories"),
        "Clothing": clothing,
        # By id or by name alone the list would read in another order.
        "Jackets": category("Jackets", clothing),
        "Shirts": shirts,
        "Oxford": category("Oxford", shirts),
    }
    for name, count in {"Clothing": 1, "Shirts": 1, "Oxford": 2, "Accessories": 3}.items():
        product_factory.create_batch(count, category=tree[name])
    return tree


def _rows(response) -> list[dict[str, str]]:
    """Each row's name cell (as its HTML text) and its other cells' text."""
    rows = []
    for row in response.context["cl"].result_list:
        rows.append({"name": row.name, "depth": row.tree_depth, "total": row.products_total})
    return rows


def _cell(html: str, column: str, name: str) -> str:
    """The cell of ``column`` on the row whose name link reads ``name``."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        if f">{name}</a>" in row:
            match = re.search(rf'<td class="field-{column}">(.*?)</td>', row, re.S)
            assert match, f"no {column} cell on the row of {name}"
            return match.group(1)
    raise AssertionError(f"no row for {name}")


def test_categories_are_listed_in_tree_order_indented_with_subtree_counts(editor_client, shop):
    response = editor_client.get(LIST_URL)

    assert response.status_code == 200
    assert _rows(response) == [
        {"name": "Accessories", "depth": 0, "total": 3},
        {"name": "Clothing", "depth": 0, "total": 4},
        {"name": "Jackets", "depth": 1, "total": 0},
        {"name": "Shirts", "depth": 1, "total": 3},
        {"name": "Oxford", "depth": 2, "total": 2},
    ]
    html = response.content.decode()
    assert _cell(html, "tree_name", "Oxford").startswith(INDENT * 4 + "<a ")
    assert _cell(html, "tree_name", "Clothing").startswith("<a ")
    assert _cell(html, "products_total", "Clothing") == "4"
    assert "<h1>Categories</h1>" in html


def test_view_products_lists_the_category_with_its_subcategories(editor_client, shop):
    html = editor_client.get(LIST_URL).content.decode()
    link = re.search(r'href="([^"]+)"', _cell(html, "view_products", "Shirts"))
    assert link
    url = link.group(1).replace("&amp;", "&")
    assert url == reverse("admin:catalog_product_changelist") + "?" + urlencode(
        {"category__id__exact": shop["Shirts"].pk}
    )

    listed = editor_client.get(url).context["cl"].result_list
    assert {p.category.name for p in listed} == {"Shirts", "Oxford"}
    assert len(listed) == 3


def test_a_page_that_starts_inside_a_branch_shows_the_path_above_its_first_rows(
    editor_client, shop, monkeypatch
):
    monkeypatch.setattr(CategoryAdmin, "list_per_page", 3)

    second = editor_client.get(LIST_URL, {"p": 2})

    assert [r["name"] for r in _rows(second)] == ["Shirts", "Oxford"]
    html = second.content.decode()
    assert '<span class="quiet">Clothing / </span>' in _cell(html, "tree_name", "Shirts")
    # Its parent is right above it on this page: no path repeated.
    assert "quiet" not in _cell(html, "tree_name", "Oxford")


def test_show_all_lists_every_category_in_tree_order(editor_client, shop, monkeypatch):
    # Django hands "Show all" the queryset as it is, in no tree order.
    monkeypatch.setattr(CategoryAdmin, "list_per_page", 3)

    response = editor_client.get(LIST_URL, {"all": ""})

    names = [r["name"] for r in _rows(response)]
    assert names == ["Accessories", "Clothing", "Jackets", "Shirts", "Oxford"]


def test_search_results_stay_in_tree_order_with_their_paths(editor_client, shop):
    response = editor_client.get(LIST_URL, {"q": "o"})  # in Clothing, Oxford, Accessories

    assert [r["name"] for r in _rows(response)] == ["Accessories", "Clothing", "Oxford"]
    html = response.content.decode()
    assert '<span class="quiet">Clothing / Shirts / </span>' in _cell(html, "tree_name", "Oxford")


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_URL).status_code == 200
    return len(queries)


def test_the_tree_page_costs_the_same_queries_whatever_the_tree_size(
    editor_client, category_factory, product_factory
):
    def grow(branches: int) -> None:
        for _ in range(branches):
            top = category_factory()
            for _ in range(3):
                child = category_factory(parent=top)
                product_factory(category=category_factory(parent=child))

    grow(2)
    _page_queries(editor_client)  # the first request of a session reads a little more
    small = _page_queries(editor_client)
    grow(20)  # 8 categories -> 88 (one page), 2 products -> 22
    large = _page_queries(editor_client)

    assert large == small, (small, large)
    # Session and user, the theme, then the tree, its ids, the page's rows, the counts.
    assert large <= 10


def test_a_cycle_in_bad_data_still_lists_every_category(editor_client, shop):
    # A raw UPDATE past the save's check: Clothing under its own grandchild.
    Category.objects.filter(pk=shop["Clothing"].pk).update(parent=shop["Oxford"])

    response = editor_client.get(LIST_URL)

    assert response.status_code == 200
    assert sorted(r["name"] for r in _rows(response)) == sorted(shop)
