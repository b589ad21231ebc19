"""The product list's queries, EXPLAINed on MariaDB: none reads the whole product table.

At 1,000,000 products a full scan is seconds (issue #27); at the few hundred rows here
it costs nothing, so the test holds the plan's shape, not its time: every query a
page runs is EXPLAINed, and no step may read ``catalog_product`` (or the statistics)
with ``type ALL``. (A term made only of words too short for the full-text index, "XL",
is the one search left out: no index can answer it, ``catalog.search``.) The tables
are ANALYZEd first, as a live database's are, so that the optimizer plans from real
statistics (and ANALYZE commits: ``transaction=True``).
"""

from collections.abc import Iterable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog import search
from catalog.models import Category, Product

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]

CHANGELIST_URL = reverse("admin:catalog_product_changelist")
#: The tables no step of a plan may read whole.
WATCHED = ("catalog_product", "stats_productstats")


def catalog_seed_small(products: int = 2000) -> Category:
    """``products`` products under a root category's two children; returns the root.

    Names: "Walnut Item 1", "Oak Item 2"... (each word in one name in five: common) and
    "Velvet ..." in one name in 97 (rare)."""
    root = Category.objects.create(name="Clothing", slug="clothing")
    children = [
        Category.objects.create(name=name, slug=name.lower(), parent=root)
        for name in ("Jackets", "Socks")
    ]
    now = timezone.now()
    words = ("Walnut", "Oak", "Brass", "Linen", "Wool")
    Product.objects.bulk_create(
        Product(
            sku=f"EX-{n:05d}",
            name=f"{'Velvet ' if n % 97 == 50 else ''}{words[n % len(words)]} Item {n}",
            slug=f"ex-{n}",
            category=children[n % 2] if n % 3 else None,
            status="published" if n % 2 else "draft",
        )
        for n in range(products)
    )
    with connection.cursor() as cursor:  # the first product the newest, one second apart
        cursor.execute(
            "UPDATE catalog_product SET updated_at = %s - INTERVAL id SECOND",
            [now + timedelta(seconds=Product.objects.order_by("pk").first().pk)],
        )
    return root


def tables_analyze(tables: Iterable[str] = WATCHED) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE TABLE {table}")
            cursor.fetchall()


def full_scans(client, path: str, *, sorts: bool = False) -> list[str]:
    """Each step of each query of the page that reads a watched table whole (or, with
    ``sorts``, that sorts its rows instead of reading them in an index's order)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    found = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or not any(t in sql for t in WATCHED):
                continue
            cursor.execute(f"EXPLAIN {sql}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                step = dict(zip(columns, row, strict=True))
                if step["table"] not in WATCHED:
                    continue
                if step["type"] == "ALL":
                    found.append(f"{step['table']} read whole by: {sql[:300]}")
                if sorts and "filesort" in (step["Extra"] or ""):
                    found.append(f"{step['table']} sorted by: {sql[:300]}")
    return found


@pytest.fixture
def clothing(settings, monkeypatch) -> Category:
    # A count threshold below the table's size, as on a large catalog: MariaDB reads a
    # table whole where a LIMIT asks for more rows than it holds.
    settings.CATALOG_LIST_EXACT_COUNT_UP_TO = 50
    # And a sample of names for "is this word common?" smaller than the table.
    monkeypatch.setattr(search, "SAMPLE", 40)
    root = catalog_seed_small()
    tables_analyze()
    return root


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="first page"),
        pytest.param("?q=EX-001", id="SKU prefix"),
        pytest.param("?q=velvet", id="rare name word"),
        pytest.param("?q=velvet+oak", id="rare and common name words"),
        pytest.param("?status__exact=draft", id="status"),
        pytest.param("?_count=exact", id="count exactly"),
    ],
)
def test_no_page_query_reads_the_whole_product_table(admin_client, clothing, query):
    assert full_scans(admin_client, CHANGELIST_URL + query) == []


@pytest.mark.parametrize("query", ["?q=walnut", "?q=walnut+item", "?q=oak+ite"])
def test_a_common_word_is_read_in_the_lists_order_without_a_full_scan(
    admin_client, settings, monkeypatch, query
):
    # Common words walk the list's index until a page is full: at 2,000 rows MariaDB
    # finds reading the table whole cheaper, so this one runs on 20,000.
    settings.CATALOG_LIST_EXACT_COUNT_UP_TO = 50
    monkeypatch.setattr(search, "SAMPLE", 40)
    catalog_seed_small(products=20_000)
    tables_analyze()
    assert full_scans(admin_client, CHANGELIST_URL + query) == []


def test_a_category_subtree_is_read_without_a_full_scan(admin_client, settings):
    # A subtree this large (two products in three) walks the list's index checking each
    # row's category: at 2,000 rows MariaDB finds reading the table whole cheaper, so
    # this one runs on 20,000, as the common words above.
    settings.CATALOG_LIST_EXACT_COUNT_UP_TO = 50
    clothing = catalog_seed_small(products=20_000)
    tables_analyze()
    path = f"{CHANGELIST_URL}?category__id__exact={clothing.pk}"
    assert full_scans(admin_client, path) == []


def test_a_deep_page_by_key_is_read_without_a_full_scan(admin_client, clothing):
    next_url = admin_client.get(CHANGELIST_URL).context["cl"].next_url
    for _ in range(3):
        next_url = admin_client.get(CHANGELIST_URL + next_url).context["cl"].next_url
    assert full_scans(admin_client, CHANGELIST_URL + next_url) == []
