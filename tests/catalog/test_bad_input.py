"""Bad input in the product admin: a form error the editor can fix, and nothing saved."""

import pytest
from django.urls import reverse

from catalog.models import DESCRIPTION_MAX_LENGTH, Category, Product, Variant
from testkit.admin_forms import post_loaded, product_form

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalog_product_add")

#: Four-byte emoji (utf8mb4 only), right-to-left script, combining accents, CJK.
UNICODE_TEXT = "Wolle 🧶 رداء naïve Ångström 羊毛 e\u0301"


def _form(**fields: str) -> dict:
    product = {
        "sku": "NEW-1",
        "name": "New product",
        "slug": "new-product",
        "description": "",
        "category": "",
        "status": "draft",
    }
    variant = {
        "sku": "NEW-1-A",
        "size": "M",
        "colour": "red",
        "price": "10.00",
        "currency": "EUR",
        "stock": "3",
    }
    return product_form(product, [variant]) | fields


def _errors(response) -> dict:
    assert response.status_code == 200  # the form again, with its errors
    form_errors = dict(response.context["adminform"].form.errors)
    for formset in response.context["inline_admin_formsets"]:
        for index, errors in enumerate(formset.formset.errors):
            form_errors |= {f"variants-{index}-{name}": e for name, e in errors.items()}
    return form_errors


def _nothing_saved() -> None:
    assert not Product.objects.exists()
    assert not Variant.objects.exists()
    assert not Product.history.exists()


def test_unicode_text_is_saved_and_shown_unchanged(admin_client):
    response = admin_client.post(
        ADD_URL,
        _form(name=UNICODE_TEXT, description=UNICODE_TEXT * 3, **{"variants-0-colour": "🟥 rot"}),
    )

    assert response.status_code == 302
    product = Product.objects.get(sku="NEW-1")
    assert (product.name, product.description) == (UNICODE_TEXT, UNICODE_TEXT * 3)
    assert product.variants.get().colour == "🟥 rot"
    page = admin_client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert UNICODE_TEXT in page.content.decode()


def test_a_description_over_the_limit_is_a_form_error(admin_client):
    response = admin_client.post(ADD_URL, _form(description="x" * (DESCRIPTION_MAX_LENGTH + 1)))

    assert "description" in _errors(response)
    _nothing_saved()


def test_a_description_at_the_limit_is_saved(admin_client):
    response = admin_client.post(ADD_URL, _form(description="é" * DESCRIPTION_MAX_LENGTH))

    assert response.status_code == 302
    assert len(Product.objects.get().description) == DESCRIPTION_MAX_LENGTH


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "n" * 201),
        ("sku", "S" * 33),
        ("sku", "bad sku!"),
        ("sku", "SKU-🧶"),
        ("slug", "wolle-🧶"),
        ("slug", "s" * 221),
        ("variants-0-size", "x" * 33),
        ("variants-0-sku", "NEW-1 A"),
        ("variants-0-stock", "-1"),
        ("variants-0-stock", "many"),
        ("variants-0-price", "10,00"),
        ("variants-0-currency", "XXX"),
    ],
)
def test_too_long_or_malformed_values_are_form_errors(admin_client, field, value):
    response = admin_client.post(ADD_URL, _form(**{field: value}))

    assert field in _errors(response)
    _nothing_saved()


def test_an_oversized_request_is_refused_and_nothing_is_saved(admin_client, settings):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = admin_client.post(ADD_URL, _form(description=body))

    assert response.status_code == 400
    _nothing_saved()


def test_a_category_made_its_own_grandparent_is_a_form_error(admin_client, category_factory):
    top = category_factory(name="Top")
    middle = category_factory(name="Middle", parent=top)
    bottom = category_factory(name="Bottom", parent=middle)
    url = reverse("admin:catalog_category_change", args=[top.pk])

    response = post_loaded(
        admin_client, url, {"name": top.name, "slug": top.slug, "parent": str(bottom.pk)}
    )

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Category.objects.get(pk=top.pk).parent_id is None
