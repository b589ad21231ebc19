"""One currency per product: the rule, the product page's variant rows and the variant page."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog.demo import catalog_seed
from catalog.models import Product, Variant
from catalog.rules import (
    currency_odd_rows,
    product_currency_check,
    products_with_mixed_currencies,
)
from testkit.admin_forms import post_loaded, product_fields, product_form, variant_row

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalog_product_add")


def _new_variant(sku: str, currency: str, price: str = "10.00") -> dict[str, str]:
    return {
        "sku": sku,
        "size": "M",
        "colour": "red",
        "price": price,
        "currency": currency,
        "stock": "3",
    }


def _new_product(*variants: dict[str, str]) -> dict[str, str]:
    fields = {
        "sku": "NEW-1",
        "name": "New product",
        "slug": "new-product",
        "description": "",
        "category": "",
        "status": "draft",
    }
    return product_form(fields, variants)


def _save_product_page(client, product: Product, rows: list[dict[str, str]]):
    """Save the product page with these variant rows (all existing variants)."""
    url = reverse("admin:catalog_product_change", args=[product.pk])
    return post_loaded(client, url, product_form(product_fields(product), rows, initial=len(rows)))


def _inline_errors(response) -> list[str]:
    assert response.status_code == 200  # the form again, with its errors
    (formset,) = response.context["inline_admin_formsets"]
    return list(formset.formset.non_form_errors())


@pytest.mark.parametrize("currencies", [[], ["EUR"], ["USD", "USD", "USD"]])
def test_one_currency_or_no_variant_passes_the_rule(currencies):
    product_currency_check(currencies=currencies)


def test_the_rule_names_the_currencies_it_would_mix():
    with pytest.raises(ValidationError, match="would mix EUR and USD") as raised:
        product_currency_check(currencies=["USD", "EUR", "USD"])
    assert raised.value.code == "mixed_currencies"


def test_a_new_product_in_two_currencies_is_a_form_error_and_nothing_is_saved(admin_client):
    response = admin_client.post(
        ADD_URL, _new_product(_new_variant("NEW-1-A", "EUR"), _new_variant("NEW-1-B", "USD"))
    )

    (error,) = _inline_errors(response)
    assert "All variants of a product must have the same currency" in error
    assert "EUR and USD" in error
    assert "All variants of a product must have the same currency" in response.content.decode()
    assert not Product.objects.exists()
    assert not Variant.objects.exists()


def test_a_new_product_in_one_currency_other_than_eur_is_saved(admin_client):
    response = admin_client.post(
        ADD_URL, _new_product(_new_variant("NEW-1-A", "GBP"), _new_variant("NEW-1-B", "GBP"))
    )

    assert response.status_code == 302
    assert set(Variant.objects.values_list("currency", flat=True)) == {"GBP"}


def test_changing_one_variants_currency_on_the_product_page_is_refused(
    admin_client, variant_factory
):
    first = variant_factory(currency="EUR", price=Decimal("10.00"))
    second = variant_factory(product=first.product, currency="EUR")

    response = _save_product_page(
        admin_client,
        first.product,
        [variant_row(first, currency="USD", price="12.00"), variant_row(second)],
    )

    assert "EUR and USD" in _inline_errors(response)[0]
    first.refresh_from_db()
    assert (first.currency, first.price) == ("EUR", Decimal("10.00"))


def test_changing_every_variants_currency_together_is_saved(admin_client, variant_factory):
    first = variant_factory(currency="EUR")
    second = variant_factory(product=first.product, currency="EUR")

    response = _save_product_page(
        admin_client,
        first.product,
        [variant_row(first, currency="USD"), variant_row(second, currency="USD")],
    )

    assert response.status_code == 302
    assert set(first.product.variants.values_list("currency", flat=True)) == {"USD"}


def test_an_untouched_empty_row_does_not_count(admin_client, variant_factory):
    variant = variant_factory(currency="GBP")
    url = reverse("admin:catalog_product_change", args=[variant.product_id])
    empty_extra_row = {"currency": "EUR", "price": "", "sku": "", "stock": "0"}

    response = post_loaded(
        admin_client,
        url,
        product_form(
            product_fields(variant.product),
            [variant_row(variant, stock="4"), empty_extra_row],
            initial=1,
        ),
    )

    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.currency, variant.stock) == ("GBP", 4)


def test_a_mixed_product_from_before_the_rule_is_fixed_by_deleting_the_odd_variant(
    admin_client, variant_factory
):
    # Factories write directly, as rows saved before the rule existed did.
    eur = variant_factory(currency="EUR")
    usd = variant_factory(product=eur.product, currency="USD")
    url = reverse("admin:catalog_product_change", args=[eur.product_id])
    rows = [variant_row(eur, stock="1"), variant_row(usd)]

    refused = post_loaded(
        admin_client, url, product_form(product_fields(eur.product), rows, initial=2)
    )
    assert "EUR and USD" in _inline_errors(refused)[0]

    rows[1] |= {"DELETE": "on"}
    response = post_loaded(
        admin_client, url, product_form(product_fields(eur.product), rows, initial=2)
    )

    assert response.status_code == 302
    assert list(eur.product.variants.values_list("currency", flat=True)) == ["EUR"]


def _variant_post(variant: Variant, **changes: str) -> dict[str, str]:
    row = variant_row(variant, **changes)
    del row["id"]
    return row


def _variant_form_errors(response) -> dict:
    assert response.status_code == 200
    return dict(response.context["adminform"].form.errors)


def test_a_variant_in_another_currency_than_its_siblings_is_a_form_error(
    admin_client, variant_factory
):
    variant = variant_factory(currency="EUR")
    variant_factory(product=variant.product, currency="EUR")
    url = reverse("admin:catalog_variant_change", args=[variant.pk])

    response = post_loaded(admin_client, url, _variant_post(variant, currency="GBP"))

    assert "EUR and GBP" in _variant_form_errors(response)["currency"][0]
    variant.refresh_from_db()
    assert variant.currency == "EUR"


def test_the_only_variant_of_a_product_may_change_currency(admin_client, variant_factory):
    variant = variant_factory(currency="EUR")
    url = reverse("admin:catalog_variant_change", args=[variant.pk])

    response = post_loaded(admin_client, url, _variant_post(variant, currency="USD"))

    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.currency == "USD"


def test_moving_a_variant_to_a_product_in_another_currency_is_a_form_error(
    admin_client, variant_factory
):
    variant = variant_factory(currency="EUR")
    other = variant_factory(currency="USD").product
    url = reverse("admin:catalog_variant_change", args=[variant.pk])

    response = post_loaded(admin_client, url, _variant_post(variant, product=str(other.pk)))

    assert "currency" in _variant_form_errors(response)
    variant.refresh_from_db()
    assert variant.product_id != other.pk


def test_a_new_variant_on_the_variant_page_follows_its_product(admin_client, variant_factory):
    product = variant_factory(currency="USD").product
    data = _new_variant("NEW-V-1", "EUR") | {"product": str(product.pk)}

    response = admin_client.post(reverse("admin:catalog_variant_add"), data)

    assert "currency" in _variant_form_errors(response)
    assert not Variant.objects.filter(sku="NEW-V-1").exists()


def test_mixed_products_are_listed_with_their_currencies(variant_factory):
    mixed = variant_factory(currency="USD").product
    variant_factory(product=mixed, currency="EUR")
    variant_factory(product=mixed, currency="USD")
    variant_factory(currency="GBP")  # one currency: not listed

    assert products_with_mixed_currencies(variant_model=Variant) == {mixed.pk: ["EUR", "USD"]}


def test_the_demo_seed_prices_each_product_in_one_currency_not_always_eur():
    catalog_seed(products=60)

    per_product: dict[int, set[str]] = {}
    for product_id, currency in Variant.objects.values_list("product_id", "currency"):
        per_product.setdefault(product_id, set()).add(currency)
    assert all(len(currencies) == 1 for currencies in per_product.values())
    assert {c for currencies in per_product.values() for c in currencies} == {"EUR", "USD", "GBP"}


def test_reverting_a_variant_to_a_currency_its_siblings_left_is_a_form_error(
    admin_client, variant_factory
):
    variant = variant_factory(currency="EUR", price=Decimal("10.00"))
    sibling = variant_factory(product=variant.product, currency="EUR")
    first = variant.history.latest()
    for each in (variant, sibling):  # the whole product moved to USD
        each.currency = "USD"
        each.save()
    url = reverse("admin:catalog_variant_simple_history", args=[variant.pk, first.history_id])

    response = post_loaded(admin_client, url, _variant_post(first.instance))

    assert "EUR and USD" in _variant_form_errors(response)["currency"][0]
    variant.refresh_from_db()
    assert variant.currency == "USD"


@pytest.mark.parametrize(
    ("currencies", "changed", "odd"),
    [
        (["EUR", "EUR"], [False, False], []),
        (["USD", "EUR"], [True, False], [0]),  # one of two changed: the changed one
        (["EUR", "USD"], [False, True], [1]),
        (["USD", "USD", "EUR"], [True, True, False], [2]),  # most rows: the product's now
        (["EUR", "USD", "GBP", "EUR"], [False] * 4, [1, 2]),
        (["GBP", "USD"], [True, True], [1]),  # all new: the first row's currency
    ],
)
def test_the_odd_rows_are_those_off_the_currency_most_rows_or_untouched_rows_use(
    currencies, changed, odd
):
    assert currency_odd_rows(currencies=currencies, changed=changed) == odd


def test_odd_rows_refuse_a_change_list_of_another_length():
    with pytest.raises(ValueError):
        currency_odd_rows(currencies=["EUR", "USD", "USD"], changed=[True, False])


def test_the_odd_row_carries_the_currency_error_where_it_is(admin_client, variant_factory):
    first = variant_factory(currency="EUR")
    second = variant_factory(product=first.product, currency="EUR")

    response = _save_product_page(
        admin_client, first.product, [variant_row(first), variant_row(second, currency="GBP")]
    )

    (formset,) = response.context["inline_admin_formsets"]
    rows = formset.formset.forms
    assert not rows[0].errors
    (error,) = rows[1].errors.as_data()["currency"]
    assert (error.code, error.messages) == ("mixed_currencies", ["The other variants use EUR."])
    html = response.content.decode()
    assert 'aria-invalid="true" aria-describedby="id_variants-1-currency_error"' in html
    assert 'id="id_variants-1-currency_error"' in html
