import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse

from catalog.models import Variant
from editors.services import EDITOR_PERMISSIONS, EDITORS_GROUP
from testkit.admin_forms import post_loaded, product_fields, product_form, variant_row

pytestmark = pytest.mark.django_db


def test_editors_group_has_exactly_the_editing_permissions():
    group = Group.objects.get(name=EDITORS_GROUP)
    granted = {
        (p.content_type.app_label, p.codename)
        for p in group.permissions.select_related("content_type")
    }
    expected = {
        (app, codename) for app, codenames in EDITOR_PERMISSIONS.items() for codename in codenames
    }
    assert granted == expected


@pytest.mark.parametrize(
    "url_name",
    ["admin:auth_user_changelist", "admin:auth_group_changelist", "admin:auth_user_add"],
)
def test_editor_cannot_reach_user_management(editor_client, url_name):
    assert editor_client.get(reverse(url_name)).status_code == 403


def test_editor_cannot_delete_products(editor_client, product_factory):
    product = product_factory()
    response = editor_client.get(reverse("admin:catalog_product_delete", args=[product.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "url_name",
    ["admin:catalog_product_add", "admin:catalog_product_changelist", "admin:catalog_category_add"],
)
def test_editor_can_add_and_list_catalog(editor_client, url_name):
    assert editor_client.get(reverse(url_name)).status_code == 200


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("admin:catalog_product_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_editor_deletes_a_size_inline_on_its_product(editor_client, variant_factory):
    kept = variant_factory(sku="KEEP-1")
    product = kept.product
    dropped = variant_factory(sku="DROP-1", product=product)
    rows = [variant_row(kept), variant_row(dropped, DELETE="on")]

    response = post_loaded(
        editor_client,
        reverse("admin:catalog_product_change", args=[product.pk]),
        product_form(product_fields(product), rows, initial=2),
    )

    assert response.status_code == 302
    assert list(product.variants.values_list("sku", flat=True)) == ["KEEP-1"]


def test_editor_cannot_bulk_delete_variants_from_the_variants_list(editor_client, variant_factory):
    variants = [variant_factory(), variant_factory()]  # two products
    url = reverse("admin:catalog_variant_changelist")

    page = editor_client.get(url)
    response = editor_client.post(
        url,
        {
            "action": "delete_selected",
            "select_across": "1",
            "index": "0",
            ACTION_CHECKBOX_NAME: [str(v.pk) for v in variants],
            "post": "yes",
        },
    )

    assert 'value="delete_selected"' not in page.content.decode()
    assert response.status_code == 200  # the list again: no action to run
    assert Variant.objects.filter(pk__in=[v.pk for v in variants]).count() == 2


def test_whoever_may_delete_products_keeps_the_bulk_delete_of_variants(
    admin_client, variant_factory
):
    variant = variant_factory()
    url = reverse("admin:catalog_variant_changelist")

    response = admin_client.post(
        url,
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [str(variant.pk)], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Variant.objects.filter(pk=variant.pk).exists()
