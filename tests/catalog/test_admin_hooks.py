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


@admin.display(description="Shouting name", ordering="name")
def shouting_name(obj: Product) -> str:
    return obj.name.upper()


class LampsFilter(admin.SimpleListFilter):
    title = "lamps"
    parameter_name = "lamps"

    def lookups(self, request, model_admin):
        return [("only", "Lamps only")]

    def queryset(self, request, queryset):
        return queryset.filter(name__icontains="lamp") if self.value() == "only" else None


@admin.action(description="Do nothing to the selected products")
def do_nothing(model_admin, request, queryset) -> None:
    return None


@pytest.fixture
def extension(monkeypatch):
    extension = AdminExtension(
        list_columns=[shouting_name],
        list_filters=[LampsFilter],
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


def test_an_extension_adds_a_filter_and_a_sortable_column(extension, admin_client, product_factory):
    for name in ["b lamp", "a teapot", "c lamp"]:
        product_factory(name=name)
    url = reverse("admin:catalog_product_changelist")
    column = [getattr(c, "__name__", c) for c in admin_client.get(url).context["cl"].list_display]

    filtered = admin_client.get(url, {"lamps": "only", "o": column.index("shouting_name")})

    assert "Lamps only" in filtered.content.decode()
    assert [p.name for p in filtered.context["cl"].result_list] == ["b lamp", "c lamp"]


def test_an_extension_action_needs_its_permission(extension, editor_client):
    listing = editor_client.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert "do_nothing" not in listing  # editors may not delete products


def test_the_block_is_only_on_existing_objects(extension, admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = admin.site._registry[Product]
    titles = [title for title, _ in model_admin.get_fieldsets(request, None)]
    assert "Loud" not in titles
