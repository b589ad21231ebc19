"""A version token that is missing, empty, tampered or another object's cannot turn the
conflict check off (issue #22: M1, L11).

Bob opens a product's form, alice saves the product, bob posts his form with a token
the admin cannot trust. Before, the check was skipped and alice's change overwritten;
with another product's token, an edit was dropped under "saved on top of theirs". Now
the base is unknown: every field that differs from what is stored is shown as a
conflict, nothing saved; a form carrying the current values saves as usual.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.admin.concurrency import CHOICE_PREFIX, TOKEN_FIELD, UNKNOWN_BASE_ERROR
from catalog.models import Category, Product, Variant
from testkit.admin_forms import post_loaded, product_fields
from testkit.on_commit import forget_all
from tests.catalog.test_concurrency import _url, form, open_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]


@pytest.fixture
def product(product_factory, variant_factory) -> Product:
    product = product_factory(name="Wool hat", description="Warm.")
    variant_factory(product=product, sku="V-1", price=Decimal("10.00"), stock=5)
    variant_factory(product=product, sku="V-2", price=Decimal("20.00"), stock=7)
    forget_all()
    return product


@pytest.fixture
def other(product_factory, variant_factory) -> Product:
    """Another product, with values that must never show on the first one's page."""
    other = product_factory(name="Other thing", description="Other's secret text.")
    variant_factory(product=other, sku="O-1", price=Decimal("99.00"), stock=1)
    forget_all()
    return other


def _tampered(token: str) -> str:
    """One byte of the signed payload changed (not the signature: that is tested too)."""
    middle = len(token) // 3
    flipped = "A" if token[middle] != "A" else "B"
    return token[:middle] + flipped + token[middle + 1 :]


def _bad_token(kind: str, client, product: Product, other: Product) -> str | None:
    """A token the product's change form must not trust; None: no token field at all."""
    token = open_form(client, product)
    if kind == "tampered byte":
        return _tampered(token)
    if kind == "tampered signature":
        return token[:-2] + ("xx" if not token.endswith("xx") else "yy")
    if kind == "empty":
        return ""
    if kind == "missing":
        return None
    if kind == "garbage":
        return "not-a-token"
    if kind == "other product's":
        return open_form(client, other)
    if kind == "other model's":  # a category's, with the product's pk if there is one
        category = other.category
        page = client.get(reverse("admin:catalog_category_change", args=[category.pk]))
        return page.context["occ_token"]
    if kind == "revert form's":  # this product's, but from its revert page
        record = product.history.latest()
        url = reverse("admin:catalog_product_simple_history", args=[product.pk, record.pk])
        return client.get(url).context["occ_token"]
    raise AssertionError(kind)


BAD_TOKENS = [
    "tampered byte",
    "tampered signature",
    "empty",
    "missing",
    "garbage",
    "other product's",
    "other model's",
    "revert form's",
]


def _with(data: dict[str, str], token: str | None) -> dict[str, str]:
    data = {k: v for k, v in data.items() if k != TOKEN_FIELD}
    return data if token is None else data | {TOKEN_FIELD: token}


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_an_untrusted_token_after_a_concurrent_save_shows_the_conflict_and_saves_nothing(
    alice, bob, product, other, kind
):
    bobs = form(product, open_form(bob, product), fields={"description": "Very warm."})
    token = _bad_token(kind, bob, product, other)
    alices = form(product, open_form(alice, product), fields={"name": "Alice's hat"})
    assert alice.post(_url(product), alices).status_code == 302
    version = Product.objects.get(pk=product.pk).version

    response = bob.post(_url(product), _with(bobs, token))

    assert response.status_code == 200  # the form again: nothing saved
    conflicts = response.context["occ_conflicts"]
    assert sorted((c["label"], c["theirs"], c["mine"]) for c in conflicts) == [
        ("Description", "Warm.", "Very warm."),
        ("Name", "Alice's hat", "Wool hat"),
    ]
    page = response.content.decode()
    assert UNKNOWN_BASE_ERROR in page
    assert UNKNOWN_BASE_ERROR.startswith("We could not tell which version you started from")
    assert "Different from what is saved now" in page
    assert "saved on top of theirs" not in page
    assert "Other&#x27;s secret text." not in page and "Other thing" not in page
    product.refresh_from_db()
    assert (product.name, product.description, product.version) == (
        "Alice's hat",
        "Warm.",
        version,
    )


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_an_untrusted_token_with_the_current_values_saves_as_usual(bob, product, other, kind):
    token = _bad_token(kind, bob, product, other)
    current = form(product, "unused")  # exactly what is stored, every variant included

    response = bob.post(_url(product), _with(current, token), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("admin:catalog_product_changelist")
    assert not any("Merged" in m or "not kept" in m for m in _messages(response))


def test_the_conflict_of_an_unknown_base_is_resolved_by_the_editors_choice(alice, bob, product):
    bobs = form(product, open_form(bob, product), fields={"description": "Very warm."})
    alice.post(_url(product), form(product, open_form(alice, product), fields={"name": "A"}))
    shown = bob.post(_url(product), _with(bobs, None))
    again = bobs | {TOKEN_FIELD: shown.context["occ_token"]}
    choices = {f"{CHOICE_PREFIX}name": "theirs", f"{CHOICE_PREFIX}description": "mine"}

    without_choice = bob.post(_url(product), again)
    assert without_choice.status_code == 200
    assert without_choice.context["occ_base_unknown"]  # same wording until chosen

    response = bob.post(_url(product), again | choices, follow=True)

    assert response.redirect_chain
    assert not any("Merged" in m for m in _messages(response))
    product.refresh_from_db()
    assert (product.name, product.description) == ("A", "Very warm.")


def test_another_products_token_drops_no_edit_and_claims_no_merge(alice, bob, product, other):
    """L11: product 31's token on product 30 dropped an edit under "saved on top of theirs"."""
    foreign = open_form(bob, other)
    bobs = form(product, open_form(bob, product), rows={"V-1": {"price": "12.00"}})
    alice.post(_url(product), form(product, open_form(alice, product), fields={"name": "A"}))

    response = bob.post(_url(product), bobs | {TOKEN_FIELD: foreign}, follow=True)

    assert not response.redirect_chain  # shown, not saved
    assert [(c["label"], c["mine"]) for c in response.context["occ_conflicts"]] == [
        ("Name", "Wool hat"),
        ("V-1: Price", "12.00"),
    ]
    assert not any("on top of theirs" in m for m in _messages(response))
    assert Variant.objects.get(sku="V-1").price == Decimal("10.00")


def _with_stray_row(data: dict[str, str], product: Product, stray: Variant) -> dict[str, str]:
    """``data`` plus another product's variant as a third existing row of this product."""
    row = {"id": str(stray.pk), "product": str(product.pk), "sku": stray.sku, "price": "1.00"}
    row |= {"stock": "1", "currency": stray.currency}
    return (
        data
        | {f"variants-2-{k}": v for k, v in row.items()}
        | {
            "variants-TOTAL_FORMS": "3",
            "variants-INITIAL_FORMS": "3",
        }
    )


@pytest.mark.parametrize("token", ["untrusted", "valid"])
def test_another_products_variant_row_never_reaches_it(bob, product, other, token):
    """Without a usable token the row is left out and the editor told; with one, the
    formset refuses an id that is not among the product's variants."""
    stray = other.variants.get()
    loaded = open_form(bob, product) if token == "valid" else "untrusted"
    data = _with_stray_row(form(product, loaded), product, stray)

    response = bob.post(_url(product), data, follow=True)

    if token == "untrusted":
        assert any(
            m.startswith("O-1 is not a variant of this product") for m in _messages(response)
        )
    else:
        assert not response.redirect_chain  # the form again, with the formset's error
    stray.refresh_from_db()
    assert (stray.product_id, stray.price) == (other.pk, Decimal("99.00"))
    assert sorted(product.variants.values_list("sku", flat=True)) == ["V-1", "V-2"]


def test_a_field_left_out_of_a_tokenless_post_is_a_conflict_not_blanked(bob, product):
    data = form(product, "unused")
    del data["description"]
    del data[TOKEN_FIELD]

    response = bob.post(_url(product), data)

    assert [(c["label"], c["mine"]) for c in response.context["occ_conflicts"]] == [
        ("Description", "(empty)")
    ]
    assert Product.objects.get(pk=product.pk).description == "Warm."


def test_deleting_a_variant_without_a_token_is_a_conflict_only_if_it_changed(alice, bob, product):
    stale = form(product, "unused", rows={"V-2": {"DELETE": "on"}})
    fresh_row = Variant.objects.get(sku="V-2")
    fresh_row.stock = 0  # someone's change since bob's page was rendered
    fresh_row.save()
    forget_all()

    shown = bob.post(_url(product), _with(stale, None))

    labels = [c["label"] for c in shown.context["occ_conflicts"]]
    assert labels == ["V-2: delete", "V-2: Stock"]
    assert Variant.objects.filter(sku="V-2").exists()

    current = form(product, "unused", rows={"V-2": {"DELETE": "on"}})
    assert bob.post(_url(product), _with(current, None)).status_code == 302
    assert not Variant.objects.filter(sku="V-2").exists()


# ---- the category form and the revert form -------------------------------------------


@pytest.mark.parametrize("kind", ["tampered byte", "missing", "other category's"])
def test_a_category_form_with_an_untrusted_token(alice, bob, category_factory, kind):
    shoes, hats = category_factory(name="Shoes", slug="shoes"), category_factory(name="Hats")
    url = reverse("admin:catalog_category_change", args=[shoes.pk])
    page = bob.get(url).context["occ_token"]
    token = {
        "tampered byte": _tampered(page),
        "missing": None,
        "other category's": bob.get(
            reverse("admin:catalog_category_change", args=[hats.pk])
        ).context["occ_token"],
    }[kind]
    current = {"name": "Shoes", "slug": "shoes", "parent": ""}

    assert bob.post(url, _with(current, token)).status_code == 302  # nothing differs
    post_loaded(alice, url, current | {"name": "Alice's shoes"})
    shown = bob.post(url, _with(current | {"slug": "footwear"}, token))

    assert sorted((c["label"], c["theirs"], c["mine"]) for c in shown.context["occ_conflicts"]) == [
        ("Name", "Alice's shoes", "Shoes"),
        ("Slug", "shoes", "footwear"),
    ]
    assert Category.objects.get(pk=shoes.pk).slug == "shoes"


@pytest.mark.parametrize("kind", ["tampered byte", "empty", "change form's"])
def test_a_revert_with_an_untrusted_token_shows_every_reverted_field(alice, bob, product, kind):
    first = product.history.earliest()
    post_loaded(alice, _url(product), form(product, "", fields={"name": "Renamed"}))
    url = reverse("admin:catalog_product_simple_history", args=[product.pk, first.history_id])
    page = bob.get(url)
    token = {
        "tampered byte": _tampered(page.context["occ_token"]),
        "empty": "",
        "change form's": open_form(bob, product),
    }[kind]
    revert = {
        name: str(page.context["adminform"].form[name].value() or "")
        for name in (product_fields(product))
    }

    shown = bob.post(url, revert | {TOKEN_FIELD: token})

    assert shown.status_code == 200
    assert [(c["label"], c["theirs"], c["mine"]) for c in shown.context["occ_conflicts"]] == [
        ("Name", "Renamed", "Wool hat")
    ]
    assert Product.objects.get(pk=product.pk).name == "Renamed"
    chosen = revert | {TOKEN_FIELD: shown.context["occ_token"], f"{CHOICE_PREFIX}name": "mine"}
    assert bob.post(url, chosen).status_code == 302
    assert Product.objects.get(pk=product.pk).name == "Wool hat"
