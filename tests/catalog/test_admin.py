from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Product, Variant
from testkit.admin_forms import post_loaded, product_form

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalog_product_add")
CHANGELIST_URL = reverse("admin:catalog_product_changelist")


def _product_form(category_id: int, *variants: dict) -> dict:
    fields = {
        "sku": "NEW-1",
        "name": "New product",
        "slug": "new-product",
        "description": "Fresh.",
        "category": str(category_id),
        "status": "draft",
    }
    return product_form(fields, variants)


def _variant(sku: str, price: str) -> dict:
    return {
        "sku": sku,
        "size": "M",
        "colour": "red",
        "price": price,
        "currency": "EUR",
        "stock": "3",
    }


def _changelist_queries(client, path: str = CHANGELIST_URL) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


#: Pages of the list whose query count must not grow with the catalog ("ROOT": the id of
#: the category half the products hang under, each through a subcategory of its own; the
#: other half have no category).
CONSTANT_QUERY_PAGES = {
    "first page": {},
    "category and subcategories": {"category__id__exact": "ROOT"},
    "no category": {"category__isnull": "True"},
    "sorted by SKU": {"o": "-1"},
    "category, sorted by name": {"category__id__exact": "ROOT", "o": "2"},
}


@pytest.mark.parametrize("params", CONSTANT_QUERY_PAGES.values(), ids=CONSTANT_QUERY_PAGES)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, product_factory, variant_factory, category_factory, params
):
    root = category_factory()
    path = (
        CHANGELIST_URL
        + "?"
        + urlencode({k: root.pk if v == "ROOT" else v for k, v in params.items()})
    )
    for n in range(2):
        product_factory(category=category_factory(parent=root) if n % 2 else None)
    _changelist_queries(admin_client, path)  # warm-up: session, theme and content-type caches
    few = _changelist_queries(admin_client, path)

    # 48 more rows, each with its own category and variants: any per-row query would show.
    for n in range(48):
        product = product_factory(category=category_factory(parent=root) if n % 2 else None)
        variant_factory.create_batch(2, product=product)
    many = _changelist_queries(admin_client, path)

    assert many == few


def test_pages_of_a_sorted_list_keep_the_sort_order(admin_client, product_factory):
    # The page's ids are read first, then its rows by id (catalog.admin.changelist).
    for n in range(60):
        product_factory(sku=f"SORT-{n:03d}")

    def page(params: dict) -> list[str]:
        return [p.sku for p in admin_client.get(CHANGELIST_URL, params).context["cl"].result_list]

    assert page({"o": "1"}) == [f"SORT-{n:03d}" for n in range(50)]
    assert page({"o": "1", "p": "2"}) == [f"SORT-{n:03d}" for n in range(50, 60)]
    assert page({"o": "-1"}) == [f"SORT-{n:03d}" for n in range(59, 9, -1)]
    assert page({"o": "1", "all": ""}) == [f"SORT-{n:03d}" for n in range(60)]


def test_product_with_variants_is_saved_from_admin(admin_client, category_factory):
    category = category_factory()
    response = admin_client.post(
        ADD_URL,
        _product_form(category.pk, _variant("NEW-1-A", "10.00"), _variant("NEW-1-B", "12.50")),
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    product = Product.objects.get(sku="NEW-1")
    assert sorted(product.variants.values_list("sku", flat=True)) == ["NEW-1-A", "NEW-1-B"]


def test_negative_variant_price_is_a_form_error_and_nothing_is_saved(
    admin_client, category_factory
):
    category = category_factory()
    response = admin_client.post(
        ADD_URL, _product_form(category.pk, _variant("NEW-1-A", "10.00"), _variant("NEW-1-B", "-2"))
    )
    assert response.status_code == 200
    assert "A price cannot be negative." in response.content.decode()
    assert not Product.objects.filter(sku="NEW-1").exists()
    assert not Variant.objects.exists()


@pytest.mark.parametrize("price", ["abc", "1e400", "12.345"])
def test_non_numeric_or_over_precise_price_is_a_form_error(admin_client, category_factory, price):
    category = category_factory()
    response = admin_client.post(ADD_URL, _product_form(category.pk, _variant("NEW-1-A", price)))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["price"]
    assert not Product.objects.exists()


def test_duplicate_variant_sku_is_a_form_error(admin_client, category_factory, variant_factory):
    variant_factory(sku="TAKEN-1")
    category = category_factory()
    response = admin_client.post(ADD_URL, _product_form(category.pk, _variant("TAKEN-1", "5")))
    assert response.status_code == 200
    assert "Variant with this SKU already exists." in response.content.decode()
    assert not Product.objects.filter(sku="NEW-1").exists()


# Committed: MariaDB's full-text index takes a row in at commit (catalog.search).
@pytest.mark.django_db(transaction=True)
def test_changelist_searches_by_sku_and_name(admin_client, product_factory):
    product_factory(sku="FIND-ME-1", name="Lamp")
    product_factory(sku="OTHER-1", name="Teapot")
    by_sku = admin_client.get(CHANGELIST_URL, {"q": "FIND-ME"}).context["cl"].result_list
    by_name = admin_client.get(CHANGELIST_URL, {"q": "teapot"}).context["cl"].result_list
    assert [p.sku for p in by_sku] == ["FIND-ME-1"]
    assert [p.sku for p in by_name] == ["OTHER-1"]


def test_changelist_filters_by_status_and_category(admin_client, product_factory, category_factory):
    shoes = category_factory()
    product_factory(sku="PUB-1", status="published", category=shoes)
    product_factory(sku="DRAFT-1", status="draft", category=shoes)
    product_factory(sku="PUB-2", status="published")
    cl = admin_client.get(
        CHANGELIST_URL, {"status__exact": "published", "category__id__exact": shoes.pk}
    ).context["cl"]
    assert [p.sku for p in cl.result_list] == ["PUB-1"]


def test_category_autocomplete_answers(admin_client, category_factory):
    category_factory(name="Sneakers")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "sneak",
            "app_label": "catalog",
            "model_name": "product",
            "field_name": "category",
        },
    )
    assert [r["text"] for r in response.json()["results"]] == ["Sneakers"]


def test_category_made_its_own_ancestor_is_a_form_error(admin_client, category_factory):
    root = category_factory(name="Root", slug="root")
    child = category_factory(parent=root)
    response = post_loaded(
        admin_client,
        reverse("admin:catalog_category_change", args=[root.pk]),
        {"name": "Root", "slug": "root", "parent": str(child.pk)},
    )
    assert response.status_code == 200
    assert "cannot go inside itself" in response.content.decode()
    root.refresh_from_db()
    assert root.parent_id is None
