"""catalog.admin.keyset: "Next" and "Previous" on the product list carry a row's key.

Pages of 3 (``list_per_page``) over 8 products, so that a few products show every
boundary; the exact-count threshold is the settings fixture's.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.admin import ProductAdmin
from catalog.admin.keyset import AFTER, BEFORE
from catalog.models import Product

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:catalog_product_changelist")


@pytest.fixture(autouse=True)
def pages_of_three(monkeypatch) -> None:
    monkeypatch.setattr(ProductAdmin, "list_per_page", 3)


@pytest.fixture
def eight(product_factory) -> list[str]:
    """Eight products, two of them updated at the same moment; newest first."""
    now = timezone.now()
    for n in range(8):
        product_factory(sku=f"K-{n}")
    moments = [now - timedelta(minutes=n) for n in (0, 1, 2, 2, 4, 5, 6, 7)]
    for n, moment in enumerate(moments):
        Product.objects.filter(sku=f"K-{n}").update(updated_at=moment)
    return list(Product.objects.order_by("-updated_at", "-id").values_list("sku", flat=True))


def _page(client, query: str) -> tuple[list[str], str | None, str | None]:
    response = client.get(CHANGELIST_URL + query)
    assert response.status_code == 200
    cl = response.context["cl"]
    return [p.sku for p in cl.result_list], cl.previous_url, cl.next_url


def _walk(client, start: str, link: int) -> list[list[str]]:
    pages, query = [], start
    while query is not None:
        skus, previous, following = _page(client, query)
        pages.append(skus)
        query = (previous, following)[link]
    return pages


def test_next_walks_every_product_once_in_the_lists_order(admin_client, eight):
    pages = _walk(admin_client, "", link=1)
    assert [sku for page in pages for sku in page] == eight
    assert [len(page) for page in pages] == [3, 3, 2]


def test_previous_walks_back_the_same_pages(admin_client, eight):
    queries, query = [], ""
    while query is not None:
        queries.append(query)
        query = _page(admin_client, query)[2]
    forward = [_page(admin_client, q)[0] for q in queries]
    assert _walk(admin_client, queries[-1], link=0) == forward[::-1]


def test_a_page_by_key_is_the_numbered_page_it_follows(admin_client, eight):
    _, _, following = _page(admin_client, "")
    assert _page(admin_client, following)[0] == _page(admin_client, "?p=2")[0]


def test_the_first_page_has_no_previous(admin_client, eight):
    assert _page(admin_client, "")[1] is None


def test_a_key_page_keeps_the_filters_and_the_search(admin_client, eight):
    _, _, following = _page(admin_client, "?q=K")
    assert parse_qs(urlparse(following).query)["q"] == ["K"]


def test_filter_and_sort_links_start_the_list_afresh(admin_client, eight):
    _, _, following = _page(admin_client, "")
    cl = admin_client.get(CHANGELIST_URL + following).context["cl"]
    link = cl.get_query_string({"status__exact": "draft"})
    assert AFTER not in link and BEFORE not in link


@pytest.mark.parametrize("key", ["nonsense", "0~yesterday~3", "5~1", "0~1"])
def test_a_key_edited_by_hand_is_a_bad_address(admin_client, eight, key):
    response = admin_client.get(CHANGELIST_URL, {AFTER: key})
    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_a_key_on_an_order_that_does_not_page_by_key_is_a_bad_address(admin_client, eight):
    # Column 1 (the SKU) sorts by offset pages only.
    _, _, following = _page(admin_client, "")
    response = admin_client.get(CHANGELIST_URL + following + "&o=1")
    assert response.status_code == 302


def test_the_page_links_read_in_the_editors_words(admin_client, eight):
    _, _, following = _page(admin_client, "")
    page = admin_client.get(CHANGELIST_URL + following).content.decode()
    assert "Next &rsaquo;" in page and "&lsaquo; Previous" in page and "First page" in page
