"""The version check on the other forms editors use: a revert, a variant, a category.

As on the product form (test_concurrency.py): a save against a newer version merges when
the fields differ and shows the conflict, nothing saved, when they overlap.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog.admin.concurrency import CHOICE_PREFIX, TOKEN_FIELD
from catalog.models import Category, Product, Variant
from testkit.admin_forms import post_loaded, product_fields
from testkit.on_commit import forget_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# ---- revert -------------------------------------------------------------------------


@pytest.fixture
def reverted(product_factory, settings) -> tuple[Product, str]:
    """A product renamed since its first version, and the revert URL of that version."""
    settings.EDITORS_HISTORY_FOLD_SECONDS = 0
    product = product_factory(name="First name", description="First text.")
    first = product.history.latest()
    product.name = "Second name"
    product.save()
    forget_all()
    url = reverse("admin:catalog_product_simple_history", args=[product.pk, first.history_id])
    return product, url


def _open_revert(client: Client, url: str, product: Product) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: str(form[name].value() or "") for name in product_fields(product)}
    return data | {TOKEN_FIELD: page.context["occ_token"]}


def test_a_revert_keeps_a_save_made_after_its_page_was_opened(alice, bob, reverted):
    product, url = reverted
    revert = _open_revert(bob, url, product)
    post_loaded(
        alice,
        reverse("admin:catalog_product_change", args=[product.pk]),
        product_fields(product, description="Alice's text.")
        | {"variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0"},
    )

    response = bob.post(url, revert, follow=True)

    assert any(m.startswith("Merged with alice's save of ") for m in _messages(response))
    product.refresh_from_db()
    assert (product.name, product.description) == ("First name", "Alice's text.")


def test_a_revert_racing_an_edit_of_the_same_field_shows_the_conflict(alice, bob, reverted):
    product, url = reverted
    revert = _open_revert(bob, url, product)
    post_loaded(
        alice,
        reverse("admin:catalog_product_change", args=[product.pk]),
        product_fields(product, name="Alice's name")
        | {"variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0"},
    )

    shown = bob.post(url, revert)

    assert shown.status_code == 200
    assert [(c["label"], c["theirs"], c["mine"]) for c in shown.context["occ_conflicts"]] == [
        ("Name", "Alice's name", "First name")
    ]
    assert Product.objects.get(pk=product.pk).name == "Alice's name"

    chosen = revert | {TOKEN_FIELD: shown.context["occ_token"], f"{CHOICE_PREFIX}name": "mine"}
    assert bob.post(url, chosen).status_code == 302
    assert Product.objects.get(pk=product.pk).name == "First name"


# ---- variant ------------------------------------------------------------------------


@pytest.fixture
def variant(variant_factory) -> Variant:
    variant = variant_factory(sku="V-1", price=Decimal("10.00"), stock=5)
    forget_all()
    return variant


def _variant_form(client: Client, variant: Variant, **changes: str) -> dict[str, str]:
    page = client.get(reverse("admin:catalog_variant_change", args=[variant.pk]))
    data = {
        "product": str(variant.product_id),
        "sku": variant.sku,
        "size": variant.size,
        "colour": variant.colour,
        "price": str(variant.price),
        "currency": variant.currency,
        "stock": str(variant.stock),
    }
    return data | changes | {TOKEN_FIELD: page.context["occ_token"]}


def test_a_stale_variant_form_merges_other_fields(alice, bob, variant):
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    bobs = _variant_form(bob, variant, stock="1")
    alice.post(url, _variant_form(alice, variant, price="12.00"))

    response = bob.post(url, bobs, follow=True)

    assert any(m.startswith("Merged with alice's save of ") for m in _messages(response))
    variant.refresh_from_db()
    assert (variant.price, variant.stock) == (Decimal("12.00"), 1)


def test_a_stale_variant_form_changing_the_same_field_shows_the_conflict(alice, bob, variant):
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    bobs = _variant_form(bob, variant, price="9.00")
    alice.post(url, _variant_form(alice, variant, price="12.00"))

    shown = bob.post(url, bobs)

    assert [(c["label"], c["theirs"], c["mine"]) for c in shown.context["occ_conflicts"]] == [
        ("Price", "12.00", "9.00")
    ]
    assert Variant.objects.get(pk=variant.pk).price == Decimal("12.00")


# ---- category -----------------------------------------------------------------------


def _category_form(client: Client, category: Category, **changes: str) -> dict[str, str]:
    page = client.get(reverse("admin:catalog_category_change", args=[category.pk]))
    data = {"name": category.name, "slug": category.slug, "parent": ""}
    return data | changes | {TOKEN_FIELD: page.context["occ_token"]}


def test_every_category_save_counts_a_version(category_factory):
    category = category_factory()
    category.name = "Renamed"
    category.save()

    assert Category.objects.get(pk=category.pk).version == 2


def test_a_stale_category_form_merges_or_shows_the_conflict(alice, bob, category_factory):
    category = category_factory(name="Shoes", slug="shoes")
    url = reverse("admin:catalog_category_change", args=[category.pk])
    bobs_slug = _category_form(bob, category, slug="footwear")
    bobs_name = _category_form(bob, category, name="Bob's shoes")
    alice.post(url, _category_form(alice, category, name="Alice's shoes"))

    shown = bob.post(url, bobs_name)
    assert [(c["label"], c["theirs"], c["mine"]) for c in shown.context["occ_conflicts"]] == [
        ("Name", "Alice's shoes", "Bob's shoes")
    ]
    assert Category.objects.get(pk=category.pk).name == "Alice's shoes"

    merged = bob.post(url, bobs_slug, follow=True)
    assert any(m.startswith("Merged with alice's save of ") for m in _messages(merged))
    category.refresh_from_db()
    assert (category.name, category.slug) == ("Alice's shoes", "footwear")
