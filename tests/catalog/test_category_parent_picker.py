"""The parent picker: paths in tree order, never the category itself or its subtree."""

import pytest
from django.urls import reverse

from testkit.admin_forms import post_loaded

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(category_factory) -> dict:
    clothing = category_factory(name="Clothing")
    shirts = category_factory(name="Shirts", parent=clothing)
    return {
        "Clothing": clothing,
        "Shirts": shirts,
        "Oxford": category_factory(name="Oxford", parent=shirts),
        "Jackets": category_factory(name="Jackets", parent=clothing),
        "Shoes": category_factory(name="Shoes"),
    }


def _choices(client, field: str = "parent", model: str = "category", **extra) -> list[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "catalog", "model_name": model, "field_name": field, **extra},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def _picker_url(client, url: str) -> str:
    field = client.get(url).context["adminform"].form.fields["parent"]
    return field.widget.widget.get_url()


def test_the_picker_lists_paths_in_tree_order(editor_client, tree):
    assert _choices(editor_client) == [
        "Clothing",
        "Clothing / Jackets",
        "Clothing / Shirts",
        "Clothing / Shirts / Oxford",
        "Shoes",
    ]


def test_on_a_categorys_page_the_picker_leaves_out_it_and_its_subcategories(editor_client, tree):
    url = _picker_url(
        editor_client, reverse("admin:catalog_category_change", args=[tree["Shirts"].pk])
    )
    not_under = url.split("not_under=")[1]
    assert not_under == str(tree["Shirts"].pk)

    assert _choices(editor_client, not_under=not_under) == [
        "Clothing",
        "Clothing / Jackets",
        "Shoes",
    ]


def test_the_add_page_offers_every_category(editor_client, tree):
    url = _picker_url(editor_client, reverse("admin:catalog_category_add"))
    assert "not_under" not in url


def test_the_chosen_parent_reads_as_its_path(editor_client, tree):
    html = editor_client.get(
        reverse("admin:catalog_category_change", args=[tree["Oxford"].pk])
    ).content.decode()
    assert f'<option value="{tree["Shirts"].pk}" selected>Clothing / Shirts</option>' in html


def test_a_forged_parent_under_itself_is_still_refused(editor_client, tree):
    # The picker never offers it, but a hand-made POST is checked under the tree lock.
    shirts = tree["Shirts"]
    response = post_loaded(
        editor_client,
        reverse("admin:catalog_category_change", args=[shirts.pk]),
        {"name": "Shirts", "slug": shirts.slug, "parent": str(tree["Oxford"].pk)},
    )
    assert "cannot go inside itself" in response.content.decode()
    shirts.refresh_from_db()
    assert shirts.parent_id == tree["Clothing"].pk


def test_not_under_only_narrows_the_parent_picker(editor_client, tree):
    # The product form's category picker ignores it (and lists paths too).
    assert _choices(
        editor_client, field="category", model="product", not_under=tree["Clothing"].pk
    ) == [
        "Clothing",
        "Clothing / Jackets",
        "Clothing / Shirts",
        "Clothing / Shirts / Oxford",
        "Shoes",
    ]


def test_a_bad_not_under_is_ignored(editor_client, tree):
    assert len(_choices(editor_client, not_under="abc")) == 5
    assert len(_choices(editor_client, not_under="999999")) == 5


def test_a_products_category_reads_as_its_path(editor_client, tree, product_factory):
    product = product_factory(category=tree["Oxford"])
    html = editor_client.get(
        reverse("admin:catalog_product_change", args=[product.pk])
    ).content.decode()
    expected = f'<option value="{tree["Oxford"].pk}" selected>Clothing / Shirts / Oxford</option>'
    assert expected in html
