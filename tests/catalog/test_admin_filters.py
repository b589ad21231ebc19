"""catalog.admin.filters: a category on the product list means it and its subcategories."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.admin.filters import INDENT
from catalog.models import Category
from catalog.selectors import CATEGORY_COUNTS_CACHE_KEY

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:catalog_product_changelist")


@pytest.fixture
def shop(category_factory, product_factory) -> dict[str, Category]:
    """Clothing > Jackets > Parkas, Clothing > Shirts, and Shoes, with products at each level."""
    clothing = category_factory(name="Clothing")
    jackets = category_factory(name="Jackets", parent=clothing)
    parkas = category_factory(name="Parkas", parent=jackets)
    shirts = category_factory(name="Shirts", parent=clothing)
    shoes = category_factory(name="Shoes")
    product_factory(sku="CLOTH-1", category=clothing)
    product_factory(sku="JACKET-1", category=jackets)
    product_factory(sku="PARKA-1", category=parkas)
    product_factory(sku="PARKA-2", category=parkas)
    product_factory(sku="SHIRT-1", category=shirts)
    product_factory(sku="SHOE-1", category=shoes)
    product_factory(sku="LOOSE-1", category=None)
    return {"clothing": clothing, "jackets": jackets, "parkas": parkas, "shoes": shoes}


def _skus(client, params: dict) -> list[str]:
    response = client.get(CHANGELIST_URL, params)
    assert response.status_code == 200
    return sorted(p.sku for p in response.context["cl"].result_list)


def _category_choices(client, params: dict | None = None) -> list[tuple[str, bool]]:
    response = client.get(CHANGELIST_URL, params or {})
    spec = next(s for s in response.context["cl"].filter_specs if s.field_path == "category")
    return [(c["display"], c["selected"]) for c in spec.choices(response.context["cl"])]


def test_filtering_by_a_category_lists_the_products_of_its_whole_subtree(admin_client, shop):
    skus = _skus(admin_client, {"category__id__exact": shop["clothing"].pk})
    assert skus == ["CLOTH-1", "JACKET-1", "PARKA-1", "PARKA-2", "SHIRT-1"]


def test_filtering_by_a_middle_category_leaves_out_its_parent_and_siblings(admin_client, shop):
    skus = _skus(admin_client, {"category__id__exact": shop["jackets"].pk})
    assert skus == ["JACKET-1", "PARKA-1", "PARKA-2"]


def test_filtering_by_a_leaf_lists_its_own_products(admin_client, shop):
    assert _skus(admin_client, {"category__id__exact": shop["parkas"].pk}) == ["PARKA-1", "PARKA-2"]


def test_the_no_category_choice_lists_products_without_one(admin_client, shop):
    assert _skus(admin_client, {"category__isnull": "True"}) == ["LOOSE-1"]


def test_the_category_filter_combines_with_search(admin_client, shop):
    skus = _skus(admin_client, {"category__id__exact": shop["clothing"].pk, "q": "PARKA"})
    assert skus == ["PARKA-1", "PARKA-2"]


def test_choices_are_the_tree_in_order_with_subtree_counts(admin_client, shop):
    assert _category_choices(admin_client) == [
        ("All", True),
        ("Clothing (5)", False),
        (f"{INDENT}Jackets (3)", False),
        (f"{INDENT * 2}Parkas (2)", False),
        (f"{INDENT}Shirts (1)", False),
        ("Shoes (1)", False),
        ("No category (1)", False),
    ]


def test_the_chosen_category_is_marked_and_counts_stay_whole_catalog(admin_client, shop):
    choices = dict(
        _category_choices(admin_client, {"category__id__exact": shop["jackets"].pk, "q": "SHOE"})
    )
    assert choices[f"{INDENT}Jackets (3)"] is True
    assert choices["All"] is False
    assert choices["Shoes (1)"] is False  # the search does not narrow the counts


def test_a_category_id_that_is_not_a_number_is_the_admins_bad_filter_redirect(admin_client, shop):
    response = admin_client.get(CHANGELIST_URL, {"category__id__exact": "abc"})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_a_category_that_no_longer_exists_lists_nothing(admin_client, shop):
    assert _skus(admin_client, {"category__id__exact": 999_999}) == []


def test_the_filter_ends_on_a_category_cycle_in_bad_data(admin_client, shop):
    # A raw UPDATE, no check: Clothing under Parkas closes Clothing > Jackets > Parkas.
    Category.objects.filter(pk=shop["clothing"].pk).update(parent=shop["parkas"])

    skus = _skus(admin_client, {"category__id__exact": shop["jackets"].pk})
    choices = [display for display, _ in _category_choices(admin_client)]

    assert skus == ["CLOTH-1", "JACKET-1", "PARKA-1", "PARKA-2", "SHIRT-1"]
    assert len(choices) == 1 + 5 + 1  # All, each category once, No category


def test_a_small_catalogs_counts_are_exact_on_every_page(admin_client, shop, product_factory):
    product_factory(sku="SHOE-2", category=shop["shoes"])
    assert ("Shoes (2)", False) in _category_choices(admin_client)


def test_a_large_catalogs_counts_are_kept_between_pages_for_their_time(
    admin_client, shop, product_factory, settings
):
    # Beyond the exact-count threshold (7 products > 5), the GROUP BY of the whole
    # catalog is kept for CATALOG_CATEGORY_COUNTS_CACHE_SECONDS instead of run per page.
    settings.CATALOG_LIST_EXACT_COUNT_UP_TO = 5
    assert ("Shoes (1)", False) in _category_choices(admin_client)
    product_factory(sku="SHOE-2", category=shop["shoes"])
    assert ("Shoes (1)", False) in _category_choices(admin_client)
    cache.delete(CATEGORY_COUNTS_CACHE_KEY)  # as when the kept counts expire
    assert ("Shoes (2)", False) in _category_choices(admin_client)


@pytest.mark.parametrize(("threshold", "off_the_index"), [(3, True), (10_000, False)])
def test_only_a_common_subtree_is_written_to_keep_off_the_category_index(
    admin_client, shop, settings, threshold, off_the_index
):
    # Clothing holds 5 of 7 products: beyond a threshold of 3 and at least one in 40 of
    # the catalog, it is read in the list's order, checking each row's category.
    settings.CATALOG_LIST_EXACT_COUNT_UP_TO = threshold
    cl = admin_client.get(CHANGELIST_URL, {"category__id__exact": shop["clothing"].pk}).context[
        "cl"
    ]
    assert ("+ 0)" in str(cl.queryset.query)) is off_the_index
    assert sorted(p.sku for p in cl.result_list) == [
        "CLOTH-1",
        "JACKET-1",
        "PARKA-1",
        "PARKA-2",
        "SHIRT-1",
    ]


def test_a_category_alone_is_counted_off_its_index(admin_client, shop, settings):
    settings.CATALOG_LIST_EXACT_COUNT_UP_TO = 3
    with CaptureQueriesContext(connection) as queries:
        cl = admin_client.get(CHANGELIST_URL, {"category__id__exact": shop["clothing"].pk}).context[
            "cl"
        ]
    counts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert not cl.count_is_exact  # 5 products, more than 3
    assert any("category_id" in sql and "+ 0" not in sql for sql in counts), counts
