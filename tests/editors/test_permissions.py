import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from editors.services import EDITOR_PERMISSIONS, EDITORS_GROUP

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
