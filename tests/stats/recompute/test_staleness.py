"""Which products a recompute takes: the stale ones (a newer version, a mark), all with
force, none that are current; deleted ones counted missing; saves counted once."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from stats.models import ProductStaleness, ProductStats
from stats.recompute.marks import product_stats_mark_stale
from stats.recompute.products import RecomputeResult, product_stats_recompute
from stats.recompute.selectors import stale_products_count
from stats.recompute.sql import table_rows_estimate
from tests.stats.recompute.test_services import _no_pending_saves

pytestmark = pytest.mark.django_db


def test_current_products_are_skipped(product_factory, variant_factory):
    product = variant_factory().product
    product_stats_recompute(product_ids=[product.pk])

    with CaptureQueriesContext(connection) as queries:
        result = product_stats_recompute(product_ids=[product.pk])

    assert result == RecomputeResult(skipped_current=1)
    assert not any(q["sql"].lstrip().upper().startswith("INSERT") for q in queries)


def test_a_newer_version_or_a_stale_mark_is_recomputed(product_factory):
    first, second = product_factory(), product_factory()
    product_stats_recompute(product_ids=[first.pk, second.pk])
    Product.objects.filter(pk=first.pk).update(version=F("version") + 1)
    product_stats_mark_stale(product_ids=[second.pk])

    result = product_stats_recompute(product_ids=[first.pk, second.pk])

    assert result.computed == 2
    first.refresh_from_db()
    assert ProductStats.objects.get(pk=first.pk).computed_version == first.version


def test_force_recomputes_current_products(product_factory):
    product = product_factory()
    product_stats_recompute(product_ids=[product.pk])

    assert product_stats_recompute(product_ids=[product.pk], force=True).computed == 1


def test_deleted_product_is_counted_missing(product_factory):
    kept, gone = product_factory(), product_factory()
    product_stats_mark_stale(product_ids=[kept.pk, gone.pk])
    gone_id = gone.pk
    gone.delete()

    result = product_stats_recompute(product_ids=[kept.pk, gone_id])

    assert (result.computed, result.missing) == (1, 1)
    assert not ProductStaleness.objects.exists()


def test_mark_keeps_the_earliest_stale_since_and_counts_saves(product_factory):
    product = product_factory()
    _no_pending_saves()
    product_stats_mark_stale(product_ids=[product.pk])
    first = ProductStaleness.objects.get(pk=product.pk)

    product_stats_mark_stale(product_ids=[product.pk, product.pk])  # one save, listed twice
    product_stats_mark_stale(product_ids=[product.pk])

    mark = ProductStaleness.objects.get(pk=product.pk)
    assert (mark.stale_since, mark.token) == (first.stale_since, first.token)
    assert mark.pending_saves == 3


def test_save_count_accumulates_over_recomputes(product_factory):
    product = product_factory()
    _no_pending_saves()
    product_stats_mark_stale(product_ids=[product.pk])
    product_stats_mark_stale(product_ids=[product.pk])
    product_stats_recompute(product_ids=[product.pk])
    assert ProductStats.objects.get(pk=product.pk).save_count == 2

    product_stats_mark_stale(product_ids=[product.pk])
    product_stats_recompute(product_ids=[product.pk])
    product_stats_recompute(product_ids=[product.pk], force=True)  # no save: no count

    assert ProductStats.objects.get(pk=product.pk).save_count == 3
    assert not ProductStaleness.objects.exists()


def test_a_mark_that_does_not_count_a_save_forces_a_recompute_and_no_save(product_factory):
    product, other = product_factory.create_batch(2)
    _no_pending_saves()
    product_stats_recompute(product_ids=[product.pk, other.pk])  # current: nothing due
    product_stats_mark_stale(product_ids=[other.pk])  # an editor save, pending
    before = ProductStaleness.objects.get(pk=other.pk)

    product_stats_mark_stale(product_ids=[product.pk, other.pk], count_save=False)

    assert ProductStaleness.objects.get(pk=product.pk).pending_saves == 0
    again = ProductStaleness.objects.get(pk=other.pk)  # an existing mark is left as it was
    assert (again.token, again.stale_since, again.pending_saves) == (
        before.token,
        before.stale_since,
        1,
    )
    assert product_stats_recompute(product_ids=[product.pk, other.pk]).computed == 2
    assert ProductStats.objects.get(pk=product.pk).save_count == 0
    assert ProductStats.objects.get(pk=other.pk).save_count == 1
    assert not ProductStaleness.objects.exists()


def test_stale_products_are_counted_exactly_up_to_the_bound(product_factory):
    product_factory.create_batch(5)

    assert stale_products_count(exactly_up_to=5) == ProductStaleness.objects.count() == 5


def test_beyond_the_bound_the_stale_count_reads_no_more_than_it_and_estimates(
    product_factory,
):
    product_factory.create_batch(5)

    with CaptureQueriesContext(connection) as queries:
        counted = stale_products_count(exactly_up_to=2)

    assert counted >= 3  # never below the bound, whatever the table's estimate says
    assert "LIMIT 3" in queries.captured_queries[0]["sql"]
    estimate = table_rows_estimate(ProductStaleness)
    if connection.vendor == "mysql":
        assert isinstance(estimate, int) and counted == max(3, estimate)
    else:
        assert estimate is None and counted == 3
