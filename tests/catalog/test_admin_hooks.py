"""catalog.admin.hooks: other apps extend the catalog's admin without replacing it."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from catalog.admin import CategoryAdmin, ProductAdmin
from catalog.admin.hooks import AdminExtension, product_admin_extensions
from catalog.models import Category, Product

pytestmark = pytest.mark.django_db


def test_the_registered_admins_are_the_catalogs_own():
    assert type(admin.site._registry[Product]) is ProductAdmin
    assert type(admin.site._registry[Category]) is CategoryAdmin


@admin.display(description="Shouting name")
def shouting_name(obj: Product) -> str:
    return obj.name.upper()


@admin.action(description="Do nothing to the selected products")
def do_nothing(model_admin, request, queryset) -> None:
    return None


@pytest.fixture
def extension(monkeypatch):
    extension = AdminExtension(
        list_columns=[shouting_name],
        fieldset=("Loud", [shouting_name]),
        actions=[do_nothing],
        actions_permission="catalog.delete_product",
    )
    monkeypatch.setattr(
        ProductAdmin, "extensions", [*product_admin_extensions, extension], raising=True
    )
    return extension


def test_an_extension_adds_a_column_a_block_and_an_action(extension, admin_client, product_factory):
    product = product_factory(name="quiet lamp")

    listing = admin_client.get(reverse("admin:catalog_product_changelist")).content.decode()
    page = admin_client.get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert "Shouting name" in listing and "QUIET LAMP" in listing
    assert "do_nothing" in listing
    assert ">Loud</h2>" in page.content.decode()
    assert "QUIET LAMP" in page.content.decode()


def test_an_extension_action_needs_its_permission(extension, editor_client):
    listing = editor_client.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert "do_nothing" not in listing  # editors may not delete products


def test_the_block_is_only_on_existing_objects(extension, admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = admin.site._registry[Product]
    titles = [title for title, _ in model_admin.get_fieldsets(request, None)]
    assert "Loud" not in titles
