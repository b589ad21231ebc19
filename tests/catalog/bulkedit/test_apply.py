"""A chunk's writes: a fixed number of statements, whatever the number of its products."""

from decimal import Decimal

import pytest
from django.db import connection

from catalog.bulkedit.apply import chunk_apply, chunk_undo
from catalog.bulkedit.jobs import bulk_edit_create
from catalog.bulkedit.operations import PRICE_PERCENT, Operation, operation_status
from catalog.bulkedit.preview import Selection, bulk_edit_preview
from catalog.models import BulkEditChange, Product
from testkit.on_commit import forget_all

pytestmark = pytest.mark.django_db

OPERATIONS = [Operation(PRICE_PERCENT, "10"), operation_status("published")]


def _products(product_factory, variant_factory, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        product = product_factory(status="draft")
        for _ in "SML":
            variant_factory(product=product, price=Decimal("10.00"))
        ids.append(product.pk)
    forget_all()
    return ids


def _job(ids: list[int]):
    preview = bulk_edit_preview(selection=Selection(ids, "test"), operations=OPERATIONS)
    return bulk_edit_create(preview=preview, user=None)


def _statements(write, **kwargs) -> int:
    """Statements sent to the database: an ``executemany`` counts a statement per row,
    as mysqlclient sends it, unless it is an INSERT (sent as one multi-row INSERT)."""
    sent = 0

    def count(execute, sql, params, many, context):
        nonlocal sent
        one = not many or sql.lstrip().upper().startswith("INSERT")
        sent += 1 if one else len(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        write(**kwargs)
    return sent


def test_a_chunks_statements_do_not_grow_with_its_products(product_factory, variant_factory):
    """Every product's row lock, version check, history record and change records, and the
    statistics marks, for 2 products and for 40: the same statements (one UPDATE per
    table, one INSERT per table), so a chunk's cost is not a round trip per product."""
    counts = []
    for size in (2, 40):
        ids = _products(product_factory, variant_factory, size)
        job = _job(ids)
        counts.append(
            _statements(
                chunk_apply, job=job, product_ids=ids, operations=OPERATIONS, user=None, reason="r"
            )
        )
        assert Product.objects.filter(pk__in=ids, status="published").count() == size
        assert Product.history.filter(id__in=ids, history_type="~").count() == size
        assert BulkEditChange.objects.filter(job=job).count() == size * 4

        changes = list(BulkEditChange.objects.filter(job=job))
        counts.append(_statements(chunk_undo, changes=changes, user=None, reason="u"))
        assert not Product.objects.filter(pk__in=ids, status="published").exists()
    apply_small, undo_small, apply_large, undo_large = counts
    assert apply_small == apply_large and undo_small == undo_large, counts
    assert apply_large < 20 and undo_large < 20, counts


@pytest.mark.parametrize("size", [1, 25, 100])
def test_a_chunk_takes_at_most_a_constant_number_of_queries(
    size, product_factory, variant_factory, django_assert_max_num_queries
):
    ids = _products(product_factory, variant_factory, size)
    job = _job(ids)

    with django_assert_max_num_queries(16):
        chunk_apply(job=job, product_ids=ids, operations=OPERATIONS, user=None, reason="r")
