import logging

import pytest
from django.core import serializers
from django.db import transaction

from catalog.models import Product
from stats.batch.requests import recompute_requests
from stats.models import CategoryStaleness, ProductStaleness
from testkit.on_commit import forget_all, items_in
from testkit.workers import unreachable_broker

pytestmark = pytest.mark.django_db


def _setup_committed() -> None:
    """Start afresh, as if the factories' saves had committed.

    The test runs inside one transaction that never commits, and the receivers queue a
    product once per transaction: without this, setup's pending callbacks would make
    the saves under test look already queued.
    """
    forget_all()


def _queued(callbacks) -> list[tuple[int, int | None]]:
    return sorted(items_in(recompute_requests, callbacks).items())


def test_an_admin_like_save_marks_bumps_and_queues_once_per_product(
    django_capture_on_commit_callbacks, product_factory, variant_factory
):
    product = product_factory()
    variants = variant_factory.create_batch(3, product=product)
    ProductStaleness.objects.all().delete()
    _setup_committed()
    version = Product.objects.get(pk=product.pk).version

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        product.name = "Renamed"
        product.save()
        for variant in variants:
            variant.stock += 1
            variant.save()

    assert _queued(callbacks) == [(product.pk, None)]
    mark = ProductStaleness.objects.get(product=product)
    assert mark.pending_saves == 1
    assert Product.objects.get(pk=product.pk).version == version + 1 == product.version


def test_a_rolled_back_save_neither_marks_nor_queues(
    django_capture_on_commit_callbacks, product_factory
):
    product = product_factory()
    ProductStaleness.objects.all().delete()
    _setup_committed()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        product.save()
        raise RuntimeError("editor's save failed")
    assert _queued(callbacks) == []
    assert not ProductStaleness.objects.exists()


def test_fixture_loading_is_ignored(django_capture_on_commit_callbacks, product_factory):
    product = product_factory()
    ProductStaleness.objects.all().delete()
    _setup_committed()
    data = serializers.serialize("json", [product])
    with django_capture_on_commit_callbacks() as callbacks:
        for obj in serializers.deserialize("json", data):
            obj.save()  # raw=True, as loaddata does
    assert _queued(callbacks) == []
    assert not ProductStaleness.objects.exists()


def test_deleting_a_product_queues_its_category_and_does_not_mark_it(
    django_capture_on_commit_callbacks, product_factory, variant_factory
):
    product = product_factory()
    variant_factory.create_batch(2, product=product)
    product_id, category_id = product.pk, product.category_id
    _setup_committed()
    with django_capture_on_commit_callbacks() as callbacks:
        product.delete()  # cascades to variants: must not re-mark the vanishing product
    assert _queued(callbacks) == [(product_id, category_id)]
    assert not ProductStaleness.objects.filter(product_id=product_id).exists()


def test_deleting_a_variant_marks_its_product(
    django_capture_on_commit_callbacks, product_factory, variant_factory
):
    variant = variant_factory()
    ProductStaleness.objects.all().delete()
    _setup_committed()
    with django_capture_on_commit_callbacks() as callbacks:
        variant.delete()
    assert _queued(callbacks) == [(variant.product_id, None)]
    assert ProductStaleness.objects.filter(product_id=variant.product_id).exists()


def test_a_save_succeeds_when_the_broker_is_unreachable(
    django_capture_on_commit_callbacks, variant_factory, caplog
):
    variant = variant_factory()
    _setup_committed()
    with (
        unreachable_broker(),
        caplog.at_level(logging.ERROR),
        django_capture_on_commit_callbacks(execute=True),
    ):
        variant.price = 99
        variant.save()
    assert "Could not queue 1 statistics request;" in caplog.text
    assert ProductStaleness.objects.filter(product_id=variant.product_id).exists()


def test_seeded_products_are_marked_for_the_sweep():
    from catalog.demo import catalog_seed

    catalog_seed(products=7)
    assert ProductStaleness.objects.count() == 7


def test_seeded_products_count_no_editor_save():
    from catalog.demo import catalog_seed
    from stats.models import ProductStats
    from stats.recompute.products import product_stats_recompute

    catalog_seed(products=7)
    assert set(ProductStaleness.objects.values_list("pending_saves", flat=True)) == {0}

    product_stats_recompute(product_ids=Product.objects.values_list("id", flat=True))

    assert ProductStats.objects.count() == 7
    assert set(ProductStats.objects.values_list("save_count", flat=True)) == {0}


def test_moving_a_category_marks_it_and_its_old_parent_for_the_refresh(category_factory):
    old_parent, new_parent = category_factory(), category_factory()
    moved = category_factory(parent=old_parent)
    CategoryStaleness.objects.all().delete()

    moved.parent = new_parent
    moved.save()

    marked = set(CategoryStaleness.objects.values_list("category_id", flat=True))
    assert marked == {moved.pk, old_parent.pk}


def test_a_new_category_is_marked_and_a_rename_is_not(category_factory):
    category = category_factory()
    assert CategoryStaleness.objects.filter(category=category).exists()
    CategoryStaleness.objects.all().delete()

    category.name = "Renamed"
    category.save()

    assert not CategoryStaleness.objects.exists()
