"""catalog.admin.counting: the product list counts exactly up to a threshold, estimates beyond.

Pages of 3 over 8 products, the threshold set to 6 (settings fixture).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.admin import ProductAdmin
from catalog.admin.counting import CappedCountPaginator, estimated_count, rounded
from catalog.models import Product

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:catalog_product_changelist")


@pytest.fixture(autouse=True)
def small_list(monkeypatch, settings) -> None:
    monkeypatch.setattr(ProductAdmin, "list_per_page", 3)
    settings.CATALOG_LIST_EXACT_COUNT_UP_TO = 6


@pytest.fixture
def eight(product_factory) -> None:
    for n in range(8):
        product_factory(sku=f"C-{n}", status="draft" if n < 2 else "published")


def _cl(client, params: dict | None = None):
    response = client.get(CHANGELIST_URL, params or {})
    assert response.status_code == 200
    return response.context["cl"], response.content.decode()


@pytest.mark.usefixtures("eight")
def test_a_list_within_the_threshold_is_counted_exactly(admin_client):
    cl, page = _cl(admin_client, {"status__exact": "draft"})
    assert cl.count_words == "2 products"
    assert "Count exactly" not in page


@pytest.mark.usefixtures("eight")
def test_a_list_beyond_the_threshold_says_so_and_offers_the_exact_count(admin_client):
    cl, page = _cl(admin_client)
    assert not cl.count_is_exact
    # SQLite has no estimate; MariaDB's may say "about 8" on so small a table.
    assert cl.count_words.startswith(("more than 6 ", "about "))
    assert 'id="count-exactly"' in page
    exact, page = _cl(admin_client, {"_count": "exact"})
    assert exact.count_words == "8 products"
    assert "Count exactly" not in page


@pytest.mark.usefixtures("eight")
def test_numbered_pages_stop_at_the_threshold_and_next_goes_on(admin_client):
    cl, _ = _cl(admin_client)
    assert cl.paginator.num_pages == 2
    cl, _ = _cl(admin_client, {"p": 2})
    assert cl.next_url  # rows 7 and 8 by key
    exact, _ = _cl(admin_client, {"_count": "exact"})
    assert exact.paginator.num_pages == 3


@pytest.mark.usefixtures("eight")
def test_the_count_reads_at_most_one_row_past_the_threshold():
    counted = CappedCountPaginator(Product.objects.all(), 3, cap=6)
    with CaptureQueriesContext(connection) as queries:
        assert counted.count == 7  # the threshold + 1: "more than 6"
    assert "LIMIT 7" in queries[0]["sql"]
    assert counted.capped


def test_an_estimate_keeps_two_significant_figures():
    assert [rounded(n) for n in (7, 99, 1234, 987_654, 1_004_999)] == [
        7,
        99,
        1200,
        990_000,
        1_000_000,
    ]


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)  # ANALYZE TABLE commits
def test_mariadb_estimates_the_rows_from_its_statistics(product_factory):
    for n in range(40):
        product_factory(sku=f"E-{n}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE catalog_product")
    estimate = estimated_count(Product.objects.all())
    assert estimate is not None and 20 <= estimate <= 80


def _product_counts(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT COUNT(*) FROM (SELECT `catalog_product`")
    ]


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)  # ANALYZE TABLE commits
def test_a_common_word_over_the_whole_catalog_is_estimated_without_counting(
    admin_client, product_factory
):
    for n in range(60):
        product_factory(sku=f"B-{n}", name=f"Brass hook {n}", status="draft")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE catalog_product")
    with CaptureQueriesContext(connection) as queries:
        cl, _ = _cl(admin_client, {"q": "brass"})
    assert cl.count_words.startswith("about ")
    assert not _product_counts(queries)
    # Another filter: the sample of the whole catalog says nothing of it; counted.
    with CaptureQueriesContext(connection) as queries:
        cl, _ = _cl(admin_client, {"q": "brass", "status__exact": "draft"})
    assert _product_counts(queries)
