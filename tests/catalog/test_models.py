from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import Variant

pytestmark = pytest.mark.django_db


def test_negative_price_is_a_validation_error(variant_factory):
    variant = variant_factory.build(price=Decimal("-1.00"))
    with pytest.raises(ValidationError) as excinfo:
        variant.full_clean(exclude=["product"])
    assert excinfo.value.message_dict["price"] == ["A price cannot be negative."]


def test_database_refuses_negative_price_even_without_validation(variant_factory):
    variant = variant_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.filter(pk=variant.pk).update(price=Decimal("-5"))


@pytest.mark.parametrize("sku", ["ab", "lower-case", "-STARTS-WITH-DASH", "SPACE IN", "X" * 33])
def test_malformed_sku_is_refused(product_factory, sku):
    product = product_factory.build(sku=sku, category=None)
    with pytest.raises(ValidationError) as excinfo:
        product.full_clean()
    assert "sku" in excinfo.value.message_dict


def test_duplicate_product_sku_is_refused(product_factory):
    product_factory(sku="DUP-1")
    twin = product_factory.build(sku="DUP-1", category=None)
    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()
    assert "sku" in excinfo.value.message_dict


def test_duplicate_product_slug_is_refused(product_factory):
    product_factory(slug="same-slug")
    twin = product_factory.build(slug="same-slug", category=None)
    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()
    assert "slug" in excinfo.value.message_dict


def test_category_cannot_become_its_own_ancestor(category_factory):
    root = category_factory()
    child = category_factory(parent=root)
    grandchild = category_factory(parent=child)
    root.parent = grandchild
    with pytest.raises(ValidationError) as excinfo:
        root.full_clean()
    assert "cannot go inside itself" in excinfo.value.message_dict["parent"][0]


def test_category_cannot_be_its_own_parent(category_factory):
    root = category_factory()
    root.parent = root
    with pytest.raises(ValidationError):
        root.full_clean()
