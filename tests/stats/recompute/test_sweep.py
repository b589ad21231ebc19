"""The stale sweep: bounded per run, and it refreshes the marked categories only."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stats.models import CategoryStaleness, ProductStaleness
from stats.recompute.categories import category_stats_recompute_all
from stats.recompute.sweep import product_stats_sweep_stale
from testkit.checks import category_statistics_errors, statistics_errors
from testkit.on_commit import forget_all

pytestmark = pytest.mark.django_db

#: The categories whose own products a grouped read covers.
CATEGORY_IN = re.compile(r"category_id[`\"]? IN \(([\d, ]+)\)")


def _age_marks() -> None:
    """Every stale mark as old as a lost request's (older than the flush plus the margin)."""
    ProductStaleness.objects.update(stale_since=timezone.now() - timedelta(hours=1))


def test_a_sweep_recomputes_at_most_its_chunks_and_leaves_the_rest_for_the_next(
    product_factory, settings
):
    settings.STATS_STALE_SWEEP_CHUNK, settings.STATS_STALE_SWEEP_MAX_CHUNKS = 2, 3
    product_factory.create_batch(8)
    _age_marks()

    first = product_stats_sweep_stale()

    assert first.computed == 6
    assert ProductStaleness.objects.count() == 2
    product_stats_sweep_stale()
    assert not ProductStaleness.objects.exists()
    assert statistics_errors() == []


def test_a_product_deleted_while_its_request_was_lost_is_repaired_by_the_sweep(
    product_factory, variant_factory, category_factory
):
    category = category_factory()
    kept, gone = product_factory.create_batch(2, category=category)
    for product in (kept, gone):
        variant_factory(product=product, stock=5)
    _age_marks()
    product_stats_sweep_stale()
    assert statistics_errors() == []

    gone.delete()
    forget_all()  # its request never reaches a worker

    assert CategoryStaleness.objects.filter(category=category).exists()
    product_stats_sweep_stale()
    assert category_statistics_errors() == []
    assert not CategoryStaleness.objects.exists()


def test_a_sweep_reads_the_products_of_marked_categories_only(product_factory, category_factory):
    marked, untouched = category_factory(), category_factory()
    stale = product_factory(category=marked)
    product_factory(category=untouched)
    category_stats_recompute_all()
    ProductStaleness.objects.exclude(product=stale).delete()
    CategoryStaleness.objects.all().delete()
    _age_marks()

    with CaptureQueriesContext(connection) as queries:
        product_stats_sweep_stale()

    # Each grouped read of products by category (the product recompute reads by product id).
    by_category = [
        q["sql"]
        for q in queries.captured_queries
        if "GROUP BY" in q["sql"] and "category_id" in q["sql"] and "p.id IN" not in q["sql"]
    ]
    read = [{int(i) for i in CATEGORY_IN.findall(sql)[0].split(",")} for sql in by_category]
    assert by_category and read == [{marked.pk}] * len(by_category)
    assert category_statistics_errors() == []
