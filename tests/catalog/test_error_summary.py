"""A refused save on the product page names each problem at the top, linked to its place."""

import re

import pytest
from django.urls import reverse

from testkit.admin_forms import post_loaded, product_fields, product_form, variant_row

pytestmark = pytest.mark.django_db


def _summary(response) -> list[str]:
    """The summary's lines as text, each with its links as ``[text](href)``."""
    assert response.status_code == 200  # the form again, nothing saved
    html = response.content.decode()
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert box, "no error summary on the page"
    lines = re.findall(r"<li>(.*?)</li>", box.group(0), re.S)
    linked = [re.sub(r'<a href="([^"]+)">([^<]+)</a>', r"[\2](\1)", line) for line in lines]
    return [re.sub(r"</?strong>", "", line) for line in linked]


def test_a_mixed_currency_names_the_problem_and_links_the_odd_row(admin_client, variant_factory):
    first = variant_factory(sku="TEE-S", currency="EUR")
    second = variant_factory(product=first.product, sku="TEE-M", currency="EUR")
    third = variant_factory(product=first.product, sku="TEE-L", currency="EUR")
    url = reverse("admin:catalog_product_change", args=[first.product_id])
    rows = [variant_row(first), variant_row(second), variant_row(third, currency="USD")]

    response = post_loaded(
        admin_client, url, product_form(product_fields(first.product), rows, initial=3)
    )

    assert _summary(response) == [
        "Variants: All variants of a product must have the same currency: this save would "
        "mix EUR and USD (prices are not converted). "
        "([row 3 (TEE-L)](#id_variants-2-currency))"
    ]
    html = response.content.decode()
    assert "Please correct the error" not in html
    assert "<title>Error: " in html


def test_product_and_variant_field_errors_each_name_their_field(admin_client, variant_factory):
    variant = variant_factory(sku="TEE-S")
    url = reverse("admin:catalog_product_change", args=[variant.product_id])
    fields = product_fields(variant.product, name="")
    rows = [variant_row(variant, price="-1")]

    response = post_loaded(admin_client, url, product_form(fields, rows, initial=1))

    lines = _summary(response)
    assert lines[0] == "[Name](#id_name): This field is required."
    assert lines[1].startswith("[Variants, row 1 (TEE-S), Price](#id_variants-0-price): ")
    assert len(lines) == 2


def test_a_saved_page_has_no_summary(admin_client, variant_factory):
    variant = variant_factory()
    url = reverse("admin:catalog_product_change", args=[variant.product_id])

    page = admin_client.get(url).content.decode()

    assert 'class="error-summary"' not in page


def test_the_variants_come_before_the_statistics_block(admin_client, variant_factory):
    variant = variant_factory()
    url = reverse("admin:catalog_product_change", args=[variant.product_id])

    page = admin_client.get(url).content.decode()

    variants, statistics = page.index('id="variants-group"'), page.index(">Statistics</h2>")
    assert page.index('id="id_name"') < variants < statistics
    assert page.count(">Statistics</h2>") == 1


def test_the_variant_page_names_its_currency_problem_too(admin_client, variant_factory):
    variant = variant_factory(currency="EUR")
    variant_factory(product=variant.product, currency="EUR")
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    row = variant_row(variant, currency="GBP")
    del row["id"]

    response = post_loaded(admin_client, url, row)

    (line,) = _summary(response)
    assert line.startswith("[Currency](#id_currency): All variants of a product must have")
    assert "Please correct the error" not in response.content.decode()


def test_the_category_page_names_the_field_in_error(admin_client, category_factory):
    category = category_factory(name="Shoes", slug="shoes")
    url = reverse("admin:catalog_category_change", args=[category.pk])

    response = post_loaded(admin_client, url, {"name": "", "slug": "shoes", "parent": ""})

    assert _summary(response) == ["[Name](#id_name): This field is required."]
