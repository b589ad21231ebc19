"""Control characters in the admin's forms: our message on the field, and stored ones fixable.

One such character in a product used to make every whole-catalog XLSX export fail (XML
cannot carry it); the forms now refuse them like ``full_clean`` does, with one message
for NUL too (Django's own "Null characters are not allowed." says neither which nor where).
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog.admin.concurrency import TOKEN_FIELD
from catalog.models import Category, Product, Variant
from testkit.admin_forms import product_fields, product_form, variant_row
from tests.catalog.test_bad_input import _errors, _form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]

#: NUL (which Django's form fields treat apart), an escape, DEL.
CHARACTERS = ["\x00", "\x1b", "\x7f"]
DJANGOS_MESSAGE = "Null characters are not allowed."


def _ours(char: str, after: str) -> str:
    return (
        f"This text contains an invisible control character (U+{ord(char):04X}) after "
        f"{after!r}: delete it, or type the text again instead of pasting it."
    )


@pytest.mark.parametrize("char", CHARACTERS)
@pytest.mark.parametrize(
    ("field", "before"),
    [
        ("name", "Blue"),
        ("description", "Soft"),
        ("slug", "blue"),
        ("sku", "NEW"),
        ("variants-0-size", "X"),
        ("variants-0-colour", "navy"),
        ("variants-0-sku", "NEW-1"),
    ],
)
def test_a_control_character_in_the_product_form_is_an_error_on_its_field(
    admin_client, field, before, char
):
    response = admin_client.post(
        reverse("admin:catalog_product_add"), _form(**{field: f"{before}{char}x"})
    )

    errors = {name: list(e) for name, e in _errors(response).items()}
    assert set(errors) == {field}
    assert errors[field][0] == _ours(char, before)
    assert DJANGOS_MESSAGE not in errors[field]
    assert not Product.objects.exists() and not Variant.objects.exists()


@pytest.mark.parametrize("char", CHARACTERS)
@pytest.mark.parametrize("field", ["name", "slug"])
def test_a_control_character_in_the_category_form_is_an_error_on_its_field(
    admin_client, field, char
):
    data = {"name": "Shoes", "slug": "shoes", "parent": "", field: f"sh{char}oes"}

    response = admin_client.post(reverse("admin:catalog_category_add"), data)

    errors = {name: list(e) for name, e in _errors(response).items()}
    assert set(errors) == {field}
    assert errors[field][0] == _ours(char, "sh")
    assert not Category.objects.exists()


@pytest.mark.parametrize("char", CHARACTERS)
@pytest.mark.parametrize("field", ["size", "colour", "sku"])
def test_a_control_character_in_the_variant_form_is_an_error_on_its_field(
    admin_client, product_factory, field, char
):
    product = product_factory()
    data = {
        "product": str(product.pk),
        "sku": "VAR-1",
        "size": "M",
        "colour": "red",
        "price": "5.00",
        "currency": "EUR",
        "stock": "1",
        field: f"VA{char}R",
    }

    response = admin_client.post(reverse("admin:catalog_variant_add"), data)

    errors = {name: list(e) for name, e in _errors(response).items()}
    assert set(errors) == {field}
    assert errors[field][0] == _ours(char, "VA")
    assert not Variant.objects.exists()


@pytest.mark.parametrize("char", CHARACTERS)
def test_full_clean_refuses_what_the_forms_refuse_with_the_same_words(product_factory, char):
    product = product_factory.build(sku="FULL-1", slug="full-1", name=f"Blue{char} shirt")
    product.category.save()
    product.category_id = product.category.pk

    with pytest.raises(ValidationError) as refused:
        product.full_clean()

    assert refused.value.message_dict == {"name": [_ours(char, "Blue")]}


def test_tab_and_line_breaks_are_still_accepted(admin_client):
    response = admin_client.post(
        reverse("admin:catalog_product_add"),
        _form(description="First line\r\nSecond\tline"),
    )

    assert response.status_code == 302
    assert Product.objects.get().description == "First line\r\nSecond\tline"


def test_a_product_holding_a_nul_opens_shows_the_error_on_its_field_and_saves_once_fixed(
    admin_client, product_factory, variant_factory
):
    # As an older import left it: NUL in the name, a control character in a variant.
    product = product_factory(name="Blue\x00 shirt", description="Soft.")
    variant = variant_factory(product=product, sku="NUL-1-M", colour="na\x00vy")
    url = reverse("admin:catalog_product_change", args=[product.pk])

    page = admin_client.get(url)
    assert page.status_code == 200
    token = page.context["occ_token"]
    as_stored = product_form(product_fields(product), [variant_row(variant)], initial=1)

    refused = admin_client.post(url, as_stored | {TOKEN_FIELD: token})

    assert {name: list(e) for name, e in _errors(refused).items()} == {
        "name": [_ours("\x00", "Blue")],
        "variants-0-colour": [_ours("\x00", "na")],
    }
    fixed = product_form(
        product_fields(product, name="Blue shirt"), [variant_row(variant, colour="navy")], initial=1
    )
    saved = admin_client.post(url, fixed | {TOKEN_FIELD: refused.context["occ_token"]})

    assert saved.status_code == 302, _errors(saved)
    product.refresh_from_db()
    variant.refresh_from_db()
    assert (product.name, variant.colour) == ("Blue shirt", "navy")
