from decimal import Decimal

import pytest

from catalog.listviews.figures import ProductFigures, money, product_figures

pytestmark = pytest.mark.django_db


def test_a_products_price_range_with_its_currency_and_its_total_stock(
    product_factory, variant_factory
):
    product = product_factory()
    variant_factory(product=product, price=Decimal("19.99"), stock=3)
    variant_factory(product=product, price=Decimal("9.99"), stock=4)
    same = product_factory()
    variant_factory.create_batch(2, product=same, price=Decimal("5.00"), currency="GBP", stock=0)
    empty = product_factory()

    figures = product_figures([product.pk, same.pk, empty.pk])

    assert figures[product.pk].price_text() == "€9.99 \u2013 €19.99"
    assert figures[product.pk].total_stock == 7
    assert figures[same.pk].price_text() == "£5.00"
    assert figures[same.pk].total_stock == 0
    assert figures[empty.pk].price_text() == "-"
    assert figures[empty.pk].total_stock == 0


def test_mixed_currencies_show_one_range_per_currency_never_one_across(
    product_factory, variant_factory
):
    # The rules refuse a second currency on a product; data written before them may have one.
    product = product_factory()
    variant_factory(product=product, price=Decimal("10"), currency="EUR")
    variant_factory(product=product, price=Decimal("12"), currency="USD")
    variant_factory(product=product, price=Decimal("2000"), currency="USD")

    text = product_figures([product.pk])[product.pk].price_text()

    assert text == "€10.00; $12.00 \u2013 $2,000.00"


def test_no_products_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert product_figures([]) == {}
    assert ProductFigures().price_text() == "-"
    assert money(Decimal("3"), "CHF") == "CHF 3.00"
