"""A stock or completeness filter alone is counted on the statistics, not the product join.

At 1,000,000 products the capped count of "low stock" read 10,001 rows of the product
table through the join (610-660 ms); asked of the statistics table the same number
costs a few ms. With a search or another filter beside it, the list's own rows are
counted, as before; "not computed yet" (no statistics row) always is.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stats.models import ProductStats

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:catalog_product_changelist")
#: The list's count (the page's other counts, the header's jobs, are not the list's).
LIST_COUNT = re.compile(
    r'SELECT COUNT\(\*\) FROM \(SELECT [`"](catalog_product|stats_productstats)[`"]\.'
)


@pytest.fixture
def shelf(product_factory) -> None:
    """Ten products: four low on stock (two published), five complete to 40 %, one uncomputed."""
    for n in range(10):
        product = product_factory(sku=f"S-{n}", status="published" if n % 2 else "draft")
        if n == 9:
            continue
        ProductStats.objects.create(
            product=product,
            category_id=product.category_id,
            total_stock=3 if n < 4 else 50,
            stock_status="low" if n < 4 else "in",
            completeness=40 if n >= 4 else 100,
            computed_at=timezone.now(),
            computed_version=product.version,
        )


def _count(client, params: dict) -> tuple[int, list[str]]:
    """The list's count and the FROM clauses of its COUNT queries."""
    with CaptureQueriesContext(connection) as queries:
        cl = client.get(CHANGELIST_URL, params).context["cl"]
    counts = [q["sql"] for q in queries.captured_queries if LIST_COUNT.match(q["sql"])]
    return cl.result_count, counts


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"stock": "low"}, 4), ({"stock": "in"}, 5), ({"completeness_below": "50"}, 5)],
)
def test_a_statistics_filter_alone_is_counted_on_the_statistics_table(
    admin_client, shelf, params, expected
):
    count, queries = _count(admin_client, params)
    assert count == expected
    assert queries, "the list counted nothing"
    assert all("catalog_product" not in sql for sql in queries), queries


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stock": "low", "status__exact": "published"}, 2),
        ({"stock": "low", "q": "S-1"}, 1),
        ({"stock": "none"}, 1),
        ({"completeness_below": "50", "stock": "in"}, 5),
    ],
)
def test_with_a_search_or_another_filter_the_lists_own_rows_are_counted(
    admin_client, shelf, params, expected
):
    count, queries = _count(admin_client, params)
    assert count == expected
    assert any("catalog_product" in sql for sql in queries), queries


def test_beyond_the_threshold_the_statistics_count_is_capped_like_the_lists(
    admin_client, shelf, settings
):
    settings.CATALOG_LIST_EXACT_COUNT_UP_TO = 3
    cl = admin_client.get(CHANGELIST_URL, {"stock": "in"}).context["cl"]
    assert not cl.count_is_exact
    assert cl.count_words.startswith(("about", "more than 3"))
    exact = admin_client.get(CHANGELIST_URL, {"stock": "in", "_count": "exact"}).context["cl"]
    assert exact.result_count == 5


def test_not_computed_yet_is_counted_newest_first(admin_client, shelf):
    # New products wait for their first recompute: the count finds them at once from
    # the newest, where walking from the oldest read the whole computed catalog first.
    count, queries = _count(admin_client, {"stock": "none"})
    assert count == 1
    assert any("ORDER BY" in sql and "DESC" in sql for sql in queries), queries


@pytest.mark.parametrize("status", ["in", "low"])
def test_the_page_keeps_off_the_status_index_whose_count_reads_it(admin_client, shelf, status):
    cl = admin_client.get(CHANGELIST_URL, {"stock": status}).context["cl"]
    plain = re.search(r'stock_status[`"] = ', str(cl.queryset.query))  # what an index reads
    assert plain is None
    expected = range(4) if status == "low" else range(4, 9)
    assert sorted(p.sku for p in cl.result_list) == [f"S-{n}" for n in expected]
