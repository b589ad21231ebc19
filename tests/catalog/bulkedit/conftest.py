"""A small shop for the bulk edit tests: clothing > shirts, and shoes beside them."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from catalog.models import Product
from testkit.on_commit import forget_all


@pytest.fixture
def shop(category_factory, product_factory, variant_factory):
    """clothing (1 product) > shirts (2 products), shoes (1 product); two EUR variants each."""
    clothing = category_factory(name="Clothing", slug="clothing")
    shirts = category_factory(name="Shirts", slug="shirts", parent=clothing)
    shoes = category_factory(name="Shoes", slug="shoes")
    products = {
        "SCARF": product_factory(sku="SCARF", category=clothing),
        "SHIRT-1": product_factory(sku="SHIRT-1", category=shirts),
        "SHIRT-2": product_factory(sku="SHIRT-2", category=shirts),
        "BOOT": product_factory(sku="BOOT", category=shoes),
    }
    for sku, product in products.items():
        variant_factory(product=product, sku=f"{sku}-S", price=Decimal("19.99"), stock=3)
        variant_factory(product=product, sku=f"{sku}-M", price=Decimal("10.00"), stock=0)
    # As if the shop had been saved before: the saves under test count their own versions.
    forget_all()
    return SimpleNamespace(clothing=clothing, shirts=shirts, shoes=shoes, products=products)


def prices(*skus: str) -> dict[str, Decimal]:
    """Variant SKU -> price, for the products of ``skus``."""
    return {
        variant.sku: variant.price
        for product in Product.objects.filter(sku__in=skus)
        for variant in product.variants.all()
    }
