"""'Bring their changes into my form': the merge applied to the form on screen, nothing saved.

The browser side (presence.js setting the inputs) is in tests/browser/test_no_lost_input.py.
"""

import re

import pytest
from django.urls import reverse

from catalog.admin.concurrency import TOKEN_FIELD
from catalog.models import Product
from testkit.admin_forms import post_loaded, product_fields, product_form, variant_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]


def _open(client, product) -> str:
    """The version token of the change form, opened now."""
    page = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert page.status_code == 200
    return page.context["occ_token"]


def _bring_in(client, product, data):
    return client.post(reverse("admin:catalog_product_bring_in", args=[product.pk]), data)


@pytest.fixture
def product(product_factory, variant_factory) -> Product:
    product = product_factory(name="Trail Runner", description="Light trail shoe.")
    variant_factory(product=product, sku="TR-42", price="89.00")
    return product


def _form(product, token, variant, **changes):
    return product_form(product_fields(product, **changes), [variant_row(variant)], initial=1) | {
        TOKEN_FIELD: token
    }


def _saves(client, product, fields: dict[str, str], row: dict[str, str]) -> None:
    """An editor opens the product's form and saves these changes."""
    variant = product.variants.get()
    post_loaded(
        client,
        reverse("admin:catalog_product_change", args=[product.pk]),
        product_form(product_fields(product, **fields), [variant_row(variant, **row)], initial=1),
    )


def test_their_fields_come_in_and_mine_stay(alice, bob, product):
    variant = product.variants.get()
    token = _open(bob, product)
    _saves(alice, product, {"name": "Trail Runner Pro"}, {"price": "79.00"})

    answer = _bring_in(bob, product, _form(product, token, variant, description="Bob's text."))

    assert answer.status_code == 200
    data = answer.json()
    assert {c["name"]: c["value"] for c in data["set"]} == {
        "name": "Trail Runner Pro",
        "variants-0-price": "79.00",
    }
    assert data["conflicts"] == []
    assert re.fullmatch(r"alice at \d\d:\d\d", data["by"])
    assert data["version"] == Product.objects.get(pk=product.pk).version
    product.refresh_from_db()
    assert product.description == "Light trail shoe."  # nothing of bob's saved


def test_a_field_both_changed_keeps_mine_and_is_named(alice, bob, product):
    variant = product.variants.get()
    token = _open(bob, product)
    _saves(alice, product, {"name": "Alice's name"}, {})

    data = _bring_in(bob, product, _form(product, token, variant, name="Bob's name")).json()

    assert data["set"] == []  # the form keeps "Bob's name"
    assert [(c["label"], c["theirs"], c["mine"]) for c in data["conflicts"]] == [
        ("Name", "Alice's name", "Bob's name")
    ]


def test_without_a_usable_token_nothing_is_brought_in(bob, product):
    variant = product.variants.get()

    answer = _bring_in(bob, product, _form(product, "forged", variant))

    assert answer.status_code == 409
    assert answer.json()["error"] == "base_unknown"


def test_bring_in_is_post_only_and_for_those_who_may_change(client, bob, user_factory, product):
    url = reverse("admin:catalog_product_bring_in", args=[product.pk])
    assert bob.get(url).status_code == 405
    client.force_login(user_factory(is_staff=True))
    assert client.post(url, {}).status_code == 403


@pytest.mark.parametrize("model", ["product", "variant", "category"])
def test_every_change_form_keeps_input_with_static_scripts_only(
    editor_client, variant_factory, model
):
    """Drafts, the question before leaving and the notices on each change form, from
    static files only: no inline script or handler (a strict CSP is to come)."""
    variant = variant_factory()
    obj = {"product": variant.product, "variant": variant, "category": variant.product.category}
    page = editor_client.get(reverse(f"admin:catalog_{model}_change", args=[obj[model].pk]))
    html = page.content.decode()

    assert "catalog/drafts.js" in html and "catalog/presence.js" in html
    user = page.wsgi_request.user.pk
    assert f'data-draft="catalog.{model}:{obj[model].pk}:u{user}"' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []
