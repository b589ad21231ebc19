"""Two editors on one product over HTTP: no save overwrites another silently.

Editor 1 (alice) and editor 2 (bob) each open the change form; alice saves first; bob
then posts the form he loaded before her save. Different fields: both kept, and bob is
told his save was merged with alice's. The same field: bob sees the conflict, nothing
of his is saved until he chooses, per field, which value to keep.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog.admin.concurrency import CHOICE_PREFIX, TOKEN_FIELD
from catalog.models import Product, Variant
from testkit.admin_forms import product_fields, product_form, variant_row
from testkit.on_commit import forget_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]


@pytest.fixture
def product(product_factory, variant_factory) -> Product:
    product = product_factory(description="Warm.")
    variant_factory(product=product, sku="V-1", price=Decimal("10.00"), stock=5)
    variant_factory(product=product, sku="V-2", price=Decimal("20.00"), stock=7)
    forget_all()
    return product


def _url(product: Product) -> str:
    return reverse("admin:catalog_product_change", args=[product.pk])


def open_form(client: Client, product: Product) -> str:
    """GET the change form as a browser does; return its version token."""
    response = client.get(_url(product))
    assert response.status_code == 200
    return response.context["occ_token"]


def form(product: Product, token: str, *, fields=None, rows=None) -> dict[str, str]:
    """The form as loaded (product and variants as they are now), with changes on top."""
    variants = list(product.variants.order_by("sku"))
    rows = rows or {}
    data = product_form(
        product_fields(product, **(fields or {})),
        [variant_row(v, **rows.get(v.sku, {})) for v in variants],
        initial=len(variants),
    )
    return data | {TOKEN_FIELD: token}


def _variant(sku: str) -> Variant:
    return Variant.objects.get(sku=sku)


def test_a_stale_form_changing_other_fields_is_merged_and_says_with_whom(alice, bob, product):
    loaded_by_bob = form(product, open_form(bob, product), fields={"description": "Very warm."})
    alice_form = form(
        product, open_form(alice, product), rows={"V-1": {"price": "12.50", "stock": "3"}}
    )
    assert alice.post(_url(product), alice_form).status_code == 302

    response = bob.post(_url(product), loaded_by_bob, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Merged with alice's save of ") for m in messages), messages
    product.refresh_from_db()
    assert product.description == "Very warm."
    assert (_variant("V-1").price, _variant("V-1").stock) == (Decimal("12.50"), 3)


def test_the_same_field_changed_by_both_shows_the_conflict_and_saves_nothing(alice, bob, product):
    bobs = form(product, open_form(bob, product), fields={"name": "Bob's name"})
    alices = form(product, open_form(alice, product), fields={"name": "Alice's name"})
    assert alice.post(_url(product), alices).status_code == 302
    version = Product.objects.get(pk=product.pk).version

    response = bob.post(_url(product), bobs)

    assert response.status_code == 200  # the form again, not a redirect
    conflicts = response.context["occ_conflicts"]
    assert [(c["label"], c["theirs"], c["mine"]) for c in conflicts] == [
        ("Name", "Alice's name", "Bob's name")
    ]
    assert response.context["adminform"].form["name"].value() == "Bob's name"  # input kept
    assert b"keep mine" in response.content and b"take theirs" in response.content
    product.refresh_from_db()
    assert (product.name, product.version) == ("Alice's name", version)


@pytest.mark.parametrize(("choice", "expected"), [("mine", "Bob's name"), ("theirs", "Alice's")])
def test_a_conflict_is_resolved_by_the_editors_choice(alice, bob, product, choice, expected):
    bobs = form(
        product,
        open_form(bob, product),
        fields={"name": "Bob's name"},
        rows={"V-2": {"stock": "99"}},
    )
    alices = form(product, open_form(alice, product), fields={"name": "Alice's"})
    alice.post(_url(product), alices)
    shown = bob.post(_url(product), bobs)
    # What the browser posts back: the form as shown, plus the choice.
    again = {k: v for k, v in bobs.items()} | {
        "name": shown.context["adminform"].form["name"].value(),
        TOKEN_FIELD: shown.context["occ_token"],
    }

    without_choice = bob.post(_url(product), again)
    assert without_choice.status_code == 200
    assert Product.objects.get(pk=product.pk).name == "Alice's"

    response = bob.post(_url(product), again | {f"{CHOICE_PREFIX}name": choice})

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == expected
    assert _variant("V-2").stock == 99  # bob's other change, not in conflict, is kept


def test_inline_rows_merge_field_by_field(alice, bob, product):
    bobs = form(product, open_form(bob, product), rows={"V-2": {"stock": "1"}})
    alices = form(product, open_form(alice, product), rows={"V-1": {"price": "11.00"}})
    alice.post(_url(product), alices)

    assert bob.post(_url(product), bobs).status_code == 302

    assert (_variant("V-1").price, _variant("V-1").stock) == (Decimal("11.00"), 5)
    assert (_variant("V-2").price, _variant("V-2").stock) == (Decimal("20.00"), 1)


def test_the_same_variant_field_changed_by_both_is_a_conflict(alice, bob, product):
    bobs = form(product, open_form(bob, product), rows={"V-1": {"price": "9.00"}})
    alices = form(product, open_form(alice, product), rows={"V-1": {"price": "11.00"}})
    alice.post(_url(product), alices)

    response = bob.post(_url(product), bobs)

    assert response.status_code == 200
    assert [(c["label"], c["theirs"], c["mine"]) for c in response.context["occ_conflicts"]] == [
        ("V-1: Price", "11.00", "9.00")
    ]
    assert _variant("V-1").price == Decimal("11.00")


def test_a_variant_added_or_deleted_meanwhile_stays_as_the_other_editor_left_it(
    alice, bob, product, variant_factory
):
    bobs = form(product, open_form(bob, product), fields={"description": "New text."})
    Variant.objects.get(sku="V-2").delete()  # as alice's save would
    variant_factory(product=product, sku="V-3")
    forget_all()

    assert bob.post(_url(product), bobs).status_code == 302

    assert sorted(product.variants.values_list("sku", flat=True)) == ["V-1", "V-3"]
    assert Product.objects.get(pk=product.pk).description == "New text."


def test_an_unchanged_version_saves_as_usual_without_a_merge_message(bob, product):
    data = form(product, open_form(bob, product), fields={"name": "Plain"})

    response = bob.post(_url(product), data, follow=True)

    # stats adds when the figures update (stats.admin.fresh): not the catalog's concern.
    catalogs = [m for m in response.context["messages"] if "Statistics" not in str(m)]
    assert [m.level_tag for m in catalogs] == ["success"]
    assert Product.objects.get(pk=product.pk).name == "Plain"
