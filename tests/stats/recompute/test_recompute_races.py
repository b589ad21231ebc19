"""A recompute racing what changes under it: a save or a mark between its reads and its
claim, two recomputes at once, an editor's save holding the row, a category marked
during its refresh. Nothing is lost, nothing counted twice, nothing deadlocks."""

import threading

import pytest
from django.db import connections, transaction
from django.db.models import F

from catalog.models import Product
from stats.models import ProductStaleness, ProductStats
from stats.recompute import categories as recompute_categories
from stats.recompute import products as recompute_products
from stats.recompute.marks import category_stats_mark_stale, product_stats_mark_stale
from stats.recompute.products import RecomputeResult, product_stats_recompute
from tests.stats.recompute.test_services import _no_pending_saves

pytestmark = pytest.mark.django_db


def _during_recompute(monkeypatch, action) -> None:
    """Run ``action`` between the recompute's reads and its claim of the marks."""
    original = recompute_products._recompute_inputs

    def reads_then_act(product_ids):
        figures = original(product_ids)
        action()
        return figures

    monkeypatch.setattr(recompute_products, "_recompute_inputs", reads_then_act)


def test_a_save_during_recompute_keeps_the_product_stale(monkeypatch, product_factory):
    product = product_factory()
    _no_pending_saves()
    product_stats_mark_stale(product_ids=[product.pk])
    _during_recompute(monkeypatch, lambda: product_stats_mark_stale(product_ids=[product.pk]))

    product_stats_recompute(product_ids=[product.pk])

    mark = ProductStaleness.objects.get(pk=product.pk)
    assert mark.pending_saves == 1  # the save the figures may not show
    assert ProductStats.objects.get(pk=product.pk).save_count == 1

    monkeypatch.undo()
    product_stats_recompute(product_ids=[product.pk])
    assert not ProductStaleness.objects.exists()
    assert ProductStats.objects.get(pk=product.pk).save_count == 2


def test_a_mark_recreated_during_recompute_is_left_alone(monkeypatch, product_factory):
    product = product_factory()
    _no_pending_saves()
    product_stats_mark_stale(product_ids=[product.pk])

    def concurrent_claim_then_new_save():
        # What another worker's recompute and a new editor save would leave behind.
        ProductStaleness.objects.filter(pk=product.pk).delete()
        product_stats_mark_stale(product_ids=[product.pk])

    _during_recompute(monkeypatch, concurrent_claim_then_new_save)

    product_stats_recompute(product_ids=[product.pk])

    assert ProductStaleness.objects.get(pk=product.pk).pending_saves == 1
    # The first save was the other worker's to count.
    assert ProductStats.objects.get(pk=product.pk).save_count == 0


@pytest.mark.mariadb  # row locks are what is tested; SQLite serialises whole transactions
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_recomputes_count_each_save_once(monkeypatch):
    # bulk_create sends no post_save: a committed factory save would queue a real task.
    Product.objects.bulk_create([Product(sku="RACE-1", name="Race", slug="race")])
    product = Product.objects.get(sku="RACE-1")
    for _ in range(3):
        product_stats_mark_stale(product_ids=[product.pk])
    both_have_read = threading.Barrier(2, timeout=20)
    original = recompute_products._recompute_inputs

    def reads_then_wait(product_ids):
        figures = original(product_ids)
        both_have_read.wait()  # both read the same mark before either claims it
        return figures

    monkeypatch.setattr(recompute_products, "_recompute_inputs", reads_then_wait)
    results: list[RecomputeResult] = []
    errors: list[BaseException] = []

    def worker():
        try:
            results.append(product_stats_recompute(product_ids=[product.pk]))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert [r.computed for r in results] == [1, 1]
    assert ProductStats.objects.get(pk=product.pk).save_count == 3
    assert not ProductStaleness.objects.exists()


@pytest.mark.mariadb  # row locks are what is tested; SQLite serialises whole transactions
@pytest.mark.django_db(transaction=True)
def test_an_editor_save_racing_a_recompute_neither_deadlocks_nor_is_lost(monkeypatch):
    Product.objects.bulk_create([Product(sku="RACE-2", name="Race", slug="race-2")])
    product = Product.objects.get(sku="RACE-2")
    product_stats_mark_stale(product_ids=[product.pk])
    recompute_has_read = threading.Event()
    editor_has_written = threading.Event()
    original = recompute_products._recompute_inputs

    def reads_then_let_the_editor_in(product_ids):
        figures = original(product_ids)
        recompute_has_read.set()
        assert editor_has_written.wait(20)
        return figures

    monkeypatch.setattr(recompute_products, "_recompute_inputs", reads_then_let_the_editor_in)
    errors: list[BaseException] = []

    def editor():
        # The receivers' order: write the product, then mark it, in one transaction.
        try:
            assert recompute_has_read.wait(20)
            with transaction.atomic():
                Product.objects.filter(pk=product.pk).update(version=F("version") + 1)
                product_stats_mark_stale(product_ids=[product.pk])
                editor_has_written.set()  # the recompute now waits for this commit
        except BaseException as exc:
            errors.append(exc)
            editor_has_written.set()
        finally:
            connections.close_all()

    def recompute():
        try:
            product_stats_recompute(product_ids=[product.pk])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=editor), threading.Thread(target=recompute)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    # The first save is counted; the racing one keeps the product stale for the next run.
    assert ProductStats.objects.get(pk=product.pk).save_count == 1
    assert ProductStaleness.objects.get(pk=product.pk).pending_saves == 1
    product_stats_recompute(product_ids=[product.pk])
    product.refresh_from_db()
    stats = ProductStats.objects.get(pk=product.pk)
    assert (stats.save_count, stats.computed_version) == (2, product.version)


def test_a_category_marked_during_a_refresh_stays_marked(monkeypatch, product_factory):
    from stats.models import CategoryStaleness

    category = product_factory().category
    category_stats_mark_stale(category_ids=[category.pk])
    write = recompute_categories.category_stats_write

    def write_then_a_batch_marks_again(**kwargs):
        written = write(**kwargs)
        category_stats_mark_stale(category_ids=[category.pk])  # new token
        return written

    monkeypatch.setattr(
        recompute_categories, "category_stats_write", write_then_a_batch_marks_again
    )
    recompute_categories.category_stats_refresh_stale()
    assert CategoryStaleness.objects.filter(category=category).exists()
