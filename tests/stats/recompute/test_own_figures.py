"""Categories' own figures kept by difference: every product recompute subtracts the row it
replaces and adds the new one, so a refresh reads no product or variant for a category whose
own figures are current, and the figures still equal a computation from scratch."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from catalog.models import Category, Product, Variant
from stats.models import CategoryDirectStats, CategoryStaleness
from stats.recompute import products as recompute_products
from stats.recompute.categories import category_stats_recompute_all, category_stats_refresh_stale
from stats.recompute.marks import product_stats_mark_stale
from stats.recompute.products import product_stats_recompute
from testkit.checks import statistics_errors
from testkit.on_commit import forget_all

pytestmark = pytest.mark.django_db


def _catch_up(product_ids) -> None:
    """What a batch and the periodic refresh do after the changes (each change committed:
    the next one counts a new version, as an editor's next save does)."""
    forget_all()
    product_stats_recompute(product_ids=product_ids, defer_categories=True)
    category_stats_refresh_stale()


def _tree(category_factory) -> list[Category]:
    """A root, two middle categories and four leaves; the leaves are returned first."""
    root = category_factory()
    middles = [category_factory(parent=root) for _ in range(2)]
    return [category_factory(parent=m) for m in middles for _ in range(2)] + middles + [root]


@pytest.fixture
def catalog(category_factory, product_factory, variant_factory):
    """Products with one, two or mixed currencies in every leaf, every figure computed."""
    categories = _tree(category_factory)
    for n, leaf in enumerate(categories[:4] * 3):
        product = product_factory(category=leaf, status=Product.Status.values[n % 2])
        for k in range(1 + n % 3):
            currency = "USD" if (n % 5 == 0 and k == 1) else ("EUR" if n % 2 else "GBP")
            variant_factory(
                product=product, price=Decimal(f"{n + 3 * k}.50"), stock=n + k, currency=currency
            )
    _catch_up(Product.objects.values_list("id", flat=True))
    assert statistics_errors() == []
    return categories


def _random_change(rng: random.Random, categories: list[Category]) -> set[int]:
    """One editor change through the ORM (versions bumped, deletes signalled); the ids to
    recompute."""
    products = list(Product.objects.order_by("id"))
    product = rng.choice(products)
    variants = list(product.variants.order_by("id"))
    action = rng.choice(["price", "stock", "status", "move", "delete", "new", "variant", "uncat"])
    if action == "price" and variants:
        variant = rng.choice(variants)
        variant.price = Decimal(rng.randint(1, 90)) + Decimal("0.25")
        variant.save()
    elif action == "stock" and variants:
        variant = rng.choice(variants)
        variant.stock = rng.randint(0, 40)
        variant.save()
    elif action == "status":
        product.status = rng.choice(Product.Status.values)
        product.save()
    elif action in ("move", "uncat"):
        product.category = None if action == "uncat" else rng.choice(categories)
        product.save()
    elif action == "delete" and len(products) > 3:
        product.delete()
        return set()
    elif action == "new":
        product = Product.objects.create(
            sku=f"NEW-{rng.randint(0, 10**9)}",
            name="New",
            slug=f"new-{rng.randint(0, 10**9)}",
            category=rng.choice(categories),
            status=rng.choice(Product.Status.values),
        )
        Variant.objects.create(product=product, sku=f"NV-{product.pk}", price=Decimal("7.00"))
    elif action == "variant":
        if variants and rng.random() < 0.5:
            rng.choice(variants).delete()
        else:
            Variant.objects.create(
                product=product,
                sku=f"AV-{rng.randint(0, 10**9)}",
                size="L",
                price=Decimal(rng.randint(1, 90)),
                stock=rng.randint(0, 9),
                currency=rng.choice(["EUR", "GBP"]),
            )
    return {product.pk}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_changes_keep_every_category_equal_to_a_computation_from_scratch(catalog, seed):
    rng = random.Random(seed)
    pending: set[int] = set()
    for step in range(40):
        pending |= _random_change(rng, catalog)
        forget_all()  # one editor's transaction per change
        if rng.random() < 0.4:  # several changes between recomputes, as in a batch
            _catch_up(sorted(pending))
            pending.clear()
            errors = statistics_errors()
            assert not errors, f"after step {step}: " + "\n".join(errors)
    _catch_up(sorted(pending))
    assert statistics_errors() == []
    # The rows kept by difference are what a rebuild from scratch writes.
    kept = {r.category_id: r for r in CategoryDirectStats.objects.all()}
    category_stats_recompute_all()
    for row in CategoryDirectStats.objects.all():
        before = kept[row.category_id]
        assert (before.product_count, before.published_count, before.draft_count) == (
            row.product_count,
            row.published_count,
            row.draft_count,
        )
        assert (before.total_stock, before.prices) == (row.total_stock, row.prices)


def test_a_refresh_marked_in_every_leaf_reads_no_product_or_variant(catalog):
    leaves = catalog[:4]
    changed = []
    for leaf in leaves:
        variant = Variant.objects.filter(product__category=leaf).order_by("id").first()
        variant.stock += 5
        variant.price = Decimal("0.10")  # a new lowest price in each leaf
        variant.save()
        changed.append(variant.product_id)
    forget_all()
    product_stats_recompute(product_ids=changed, defer_categories=True)
    assert set(CategoryStaleness.objects.values_list("category_id", flat=True)) == {
        leaf.pk for leaf in leaves
    }

    with CaptureQueriesContext(connection) as queries:
        assert category_stats_refresh_stale() == len(catalog)

    reads = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in reads if "catalog_variant" in sql or "catalog_product" in sql]
    assert statistics_errors() == []


def test_a_product_that_held_the_lowest_price_moving_out_narrows_its_old_category(catalog):
    leaf, other = catalog[0], catalog[1]
    cheapest = (
        Variant.objects.filter(product__category=leaf, currency="GBP").order_by("price").first()
    )
    cheapest.price = Decimal("0.01")
    cheapest.save()
    forget_all()
    _catch_up([cheapest.product_id])
    assert CategoryDirectStats.objects.get(pk=leaf.pk).prices["GBP"][0] == "0.01"

    product = cheapest.product
    product.category = other
    product.save()
    _catch_up([product.pk])

    assert CategoryDirectStats.objects.get(pk=leaf.pk).prices["GBP"][0] != "0.01"
    assert CategoryDirectStats.objects.get(pk=other.pk).prices["GBP"][0] == "0.01"
    assert statistics_errors() == []


def test_a_delete_has_its_categorys_own_figures_rebuilt(catalog):
    leaf = catalog[0]
    Product.objects.filter(category=leaf).first().delete()

    assert CategoryDirectStats.objects.get(pk=leaf.pk).stale
    category_stats_refresh_stale()
    assert not CategoryDirectStats.objects.get(pk=leaf.pk).stale
    assert statistics_errors() == []


def test_a_rebuild_counts_a_product_an_edit_overtook_as_its_recompute_will_subtract(catalog):
    leaf, other = catalog[0], catalog[1]
    product = Product.objects.filter(category=leaf).first()
    product.category = other  # saved, not yet recomputed
    product.save()
    forget_all()
    variant = product.variants.first()
    variant.stock += 100
    variant.save()
    forget_all()

    category_stats_recompute_all()  # a repair between the save and its recompute
    _catch_up([product.pk])

    assert statistics_errors() == []


@pytest.mark.mariadb  # row locks are what is tested; SQLite serialises whole transactions
@pytest.mark.django_db(transaction=True)
def test_concurrent_recomputes_neither_lose_nor_repeat_a_difference(monkeypatch):
    root = Category.objects.create(name="Root", slug="race-root")
    leaf = Category.objects.create(name="Leaf", slug="race-leaf", parent=root)
    Product.objects.bulk_create(
        [Product(sku=f"RACE-{n}", name="Race", slug=f"race-{n}", category=leaf) for n in range(3)]
    )
    first, second, third = Product.objects.order_by("id")
    for n, product in enumerate((first, second, third)):
        Variant.objects.bulk_create(
            [Variant(product=product, sku=f"RV-{n}", price=Decimal("5.00"), stock=1)]
        )
    _catch_up([first.pk, second.pk, third.pk])
    Variant.objects.filter(product__in=[first, second]).update(stock=10)
    Product.objects.filter(pk__in=[first.pk, second.pk]).update(version=99)
    product_stats_mark_stale(product_ids=[first.pk, second.pk])
    all_have_read = threading.Barrier(3, timeout=20)
    original = recompute_products._recompute_inputs

    def reads_then_wait(product_ids):
        figures = original(product_ids)
        all_have_read.wait()  # every worker read the old rows' version before any writes
        return figures

    monkeypatch.setattr(recompute_products, "_recompute_inputs", reads_then_wait)
    errors: list[BaseException] = []

    def worker(ids):
        try:
            product_stats_recompute(product_ids=ids, defer_categories=True)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    # Two workers on the same product, a third on another product of the same category.
    threads = [
        threading.Thread(target=worker, args=(ids,))
        for ids in ([first.pk], [first.pk], [second.pk])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.undo()

    assert not errors
    assert CategoryDirectStats.objects.get(pk=leaf.pk).total_stock == 21
    category_stats_refresh_stale()
    assert statistics_errors() == []


@pytest.mark.mariadb  # row locks are what is tested; SQLite serialises whole transactions
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_between_a_recomputes_upsert_and_its_difference_counts_it_once(monkeypatch):
    from stats.recompute.marks import category_stats_mark_stale

    leaf = Category.objects.create(name="Leaf", slug="rebuild-leaf")
    Product.objects.bulk_create(
        [Product(sku=f"REB-{n}", name="Race", slug=f"reb-{n}", category=leaf) for n in range(2)]
    )
    product, _other = Product.objects.order_by("id")
    Variant.objects.bulk_create(
        [Variant(product=p, sku=f"RB-{p.pk}", price=Decimal("5.00"), stock=1) for p in (product,)]
    )
    _catch_up(list(Product.objects.values_list("id", flat=True)))
    Variant.objects.filter(product=product).update(stock=7)
    Product.objects.filter(pk=product.pk).update(version=5)
    product_stats_mark_stale(product_ids=[product.pk])
    CategoryDirectStats.objects.filter(pk=leaf.pk).update(stale=True)  # as after a delete
    category_stats_mark_stale(category_ids=[leaf.pk])
    upserted, rebuilt = threading.Event(), threading.Event()
    original = recompute_products.own_figures_apply

    def upsert_then_let_a_refresh_in(**kwargs):
        upserted.set()
        assert rebuilt.wait(20)
        original(**kwargs)

    monkeypatch.setattr(recompute_products, "own_figures_apply", upsert_then_let_a_refresh_in)
    errors: list[BaseException] = []

    def recompute():
        try:
            product_stats_recompute(product_ids=[product.pk], defer_categories=True)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            upserted.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=recompute)
    thread.start()
    assert upserted.wait(20)
    try:
        category_stats_refresh_stale()  # rebuilds the leaf while the recompute is uncommitted
    finally:
        rebuilt.set()
    thread.join(timeout=60)
    monkeypatch.undo()

    assert not errors
    assert CategoryDirectStats.objects.get(pk=leaf.pk).total_stock == 7
    category_stats_refresh_stale()
    assert statistics_errors() == []
