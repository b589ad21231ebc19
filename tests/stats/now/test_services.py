"""Fresh figures on request: asked for in the request, computed by the worker's service."""

import pytest

from catalog.models import Product
from stats.figures import PRODUCT_FIGURES
from stats.models import CategoryStaleness, CategoryStats, ProductStaleness, ProductStats
from stats.now.selectors import product_stats_current, product_stats_pending
from stats.now.services import (
    now_requests,
    product_stats_recompute_now,
    product_stats_request_now,
)
from stats.recompute.products import product_stats_recompute, product_stats_recompute_all
from testkit.on_commit import forget_all, items_in
from testkit.reference import product_stats_from_scratch

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(variant_factory):
    """A product whose figures are current, with no stale mark and nothing collected."""
    product = variant_factory(stock=3).product
    product_stats_recompute(product_ids=[product.pk])
    forget_all()
    return product


def _stored(product_id: int) -> tuple[dict, int]:
    """The stored figures and version, as ``product_stats_from_scratch`` gives them."""
    stats = ProductStats.objects.get(product_id=product_id)
    return {name: getattr(stats, name) for name in PRODUCT_FIGURES}, stats.computed_version


def _saves(product: Product) -> int:
    return ProductStats.objects.get(product=product).save_count


def test_asking_marks_the_product_without_a_save_and_publishes_it_once_on_commit(
    product, django_capture_on_commit_callbacks
):
    saves = _saves(product)

    with django_capture_on_commit_callbacks() as callbacks:
        product_stats_request_now(product_id=product.pk)
        product_stats_request_now(product_id=product.pk)  # a double click

    assert list(items_in(now_requests, callbacks)) == [product.pk]
    assert ProductStaleness.objects.get(product=product).pending_saves == 0
    product_stats_recompute_now(product_id=product.pk)
    assert _saves(product) == saves


def test_asking_computes_nothing(product, django_capture_on_commit_callbacks):
    before = ProductStats.objects.get(product=product).computed_at
    product.variants.update(stock=0)

    with django_capture_on_commit_callbacks():
        product_stats_request_now(product_id=product.pk)

    assert ProductStats.objects.get(product=product).computed_at == before


def test_the_recompute_brings_the_figures_up_to_date_and_clears_the_mark(product):
    product.variants.update(stock=0)  # behind the ORM's back: no save, no mark
    product_stats_request_now(product_id=product.pk)

    result = product_stats_recompute_now(product_id=product.pk)

    assert result.computed == 1
    assert _stored(product.pk) == product_stats_from_scratch(product_id=product.pk)
    assert ProductStats.objects.get(product=product).total_stock == 0
    assert not ProductStaleness.objects.filter(product=product).exists()


def test_the_recompute_runs_even_when_the_figures_look_current(product):
    before = ProductStats.objects.get(product=product).computed_at

    result = product_stats_recompute_now(product_id=product.pk)

    assert result.computed == 1
    assert ProductStats.objects.get(product=product).computed_at > before


def test_the_recompute_counts_an_editor_save_pending_on_the_product_once(product):
    saves = _saves(product)
    product.name = "Renamed"
    product.save()  # the catalog's receiver marks it: one editor save

    product_stats_recompute_now(product_id=product.pk)
    product_stats_recompute(product_ids=[product.pk])  # the batch that held its request

    assert _saves(product) == saves + 1
    assert not ProductStaleness.objects.filter(product=product).exists()


def test_the_recompute_leaves_the_category_to_the_periodic_refresh(product):
    CategoryStaleness.objects.all().delete()

    product_stats_recompute_now(product_id=product.pk)

    assert CategoryStaleness.objects.filter(category_id=product.category_id).exists()


def test_a_product_deleted_before_the_recompute_is_not_an_error(product):
    product_id = product.pk
    product.delete()

    assert product_stats_recompute_now(product_id=product_id).missing == 1


def test_a_product_is_pending_while_marked_or_never_computed(product, product_factory):
    assert not product_stats_pending(product_stats_current(product_id=product.pk))
    product_stats_request_now(product_id=product.pk)
    assert product_stats_pending(product_stats_current(product_id=product.pk))

    never = product_factory()
    ProductStaleness.objects.filter(product=never).delete()
    assert product_stats_pending(product_stats_current(product_id=never.pk))
    assert product_stats_current(product_id=never.pk + 1000) is None


def test_recompute_all_computes_every_missing_product_then_its_categories(
    product_factory, variant_factory
):
    products = [variant_factory(stock=n).product for n in range(5)]
    ProductStats.objects.all().delete()
    CategoryStats.objects.all().delete()

    result = product_stats_recompute_all(chunk_size=2)

    assert result.computed == 5
    assert ProductStats.objects.count() == 5
    assert not ProductStaleness.objects.exists()
    assert result.categories == CategoryStats.objects.count() >= len(products)
    assert not CategoryStaleness.objects.exists()


def test_recompute_all_only_reads_current_products(variant_factory):
    for stock in (1, 2, 3):
        variant_factory(stock=stock)
    product_stats_recompute_all()

    again = product_stats_recompute_all()

    assert (again.computed, again.skipped_current) == (0, Product.objects.count())
