"""The export's reading (``resources.export_chunks``): a page of products at a time, by
SKU, in memory that does not grow with the catalog (issue #27: 1,000,000 products)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.imports import resources
from catalog.imports.resources import export_chunks, export_queryset
from catalog.models import Category, Product

PRODUCT_TABLE = "`catalog_product`"


@pytest.fixture
def shelves(product_factory, variant_factory, category_factory) -> Category:
    """Seven products, SKUs in another order than their ids, four under ``shoes`` and its
    child, three elsewhere or in none; two variants each. Returns ``shoes``."""
    shoes = category_factory(slug="shoes", name="Shoes")
    boots = category_factory(slug="boots", name="Boots", parent=shoes)
    hats = category_factory(slug="hats", name="Hats")
    for sku, category in [
        ("G-7", boots),
        ("A-1", shoes),
        ("F-6", hats),
        ("C-3", None),
        ("E-5", boots),
        ("B-2", hats),
        ("D-4", shoes),
    ]:
        product = product_factory(sku=sku, slug=sku.lower(), category=category)
        variant_factory(product=product, sku=f"{sku}-2")
        variant_factory(product=product, sku=f"{sku}-1")
    return shoes


def _skus(chunks) -> list[list[str]]:
    return [[variant.sku for variant in variants] for variants in chunks]


def _flat(chunks: list[list[str]]) -> list[str]:
    return [sku for skus in chunks for sku in skus]


@pytest.mark.django_db
def test_the_chunks_hold_every_variant_in_the_exports_order_a_page_of_products_each(shelves):
    chunks = _skus(export_chunks(size=3))

    assert [len(skus) for skus in chunks] == [6, 6, 2]
    assert _flat(chunks) == [variant.sku for variant in export_queryset()]
    assert chunks[0] == ["A-1-1", "A-1-2", "B-2-1", "B-2-2", "C-3-1", "C-3-2"]


@pytest.mark.django_db
@pytest.mark.parametrize("ids_up_to", [100_000, 3], ids=["ids first", "by SKU key"])
def test_a_categorys_chunks_hold_its_subtree_only_in_the_exports_order(
    shelves, monkeypatch, ids_up_to
):
    # A small subtree's ids are read first off the category index; a large one (here
    # beyond 3 products) is paged by the SKU's key as the whole catalog: the same chunks.
    monkeypatch.setattr(resources, "SUBTREE_IDS_UP_TO", ids_up_to)
    chunks = _skus(export_chunks(category=shelves, size=3))

    assert _flat(chunks) == [variant.sku for variant in export_queryset(category=shelves)]
    assert chunks == [["A-1-1", "A-1-2", "D-4-1", "D-4-2", "E-5-1", "E-5-2"], ["G-7-1", "G-7-2"]]


@pytest.mark.django_db
def test_no_query_reads_more_products_than_a_chunk_and_each_chunk_costs_two(shelves):
    # A list of every product's id read first grew with the catalog: tens of MB at
    # 1,000,000 products in the worker that writes the file.
    with CaptureQueriesContext(connection) as queries:
        chunks = list(export_chunks(size=2))
    product_reads = [
        q["sql"] for q in queries.captured_queries if f"FROM {PRODUCT_TABLE}" in q["sql"]
    ]

    assert len(chunks) == 4
    assert len(queries.captured_queries) <= 2 * len(chunks) + 1
    assert product_reads
    assert all(sql.endswith("LIMIT 2") for sql in product_reads), product_reads


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_each_page_of_products_is_read_in_the_sku_index_without_a_full_scan():
    Product.objects.bulk_create(
        Product(sku=f"EX-{n:05d}", name=f"Item {n}", slug=f"ex-{n}") for n in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE catalog_product")
        cursor.fetchall()
    with CaptureQueriesContext(connection) as queries:
        pages = sum(1 for _ in export_chunks(size=100))
    product_reads = [
        q["sql"] for q in queries.captured_queries if f"FROM {PRODUCT_TABLE}" in q["sql"]
    ]
    steps = []
    with connection.cursor() as cursor:
        for sql in product_reads:
            cursor.execute(f"EXPLAIN {sql}")
            columns = [c[0] for c in cursor.description]
            steps += [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    assert pages == 20
    assert len(steps) == len(product_reads) >= 20
    assert [s for s in steps if s["type"] == "ALL" or "filesort" in (s["Extra"] or "")] == []
