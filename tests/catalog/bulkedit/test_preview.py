from decimal import Decimal

import pytest

from catalog.bulkedit.operations import PRICE_PERCENT, BulkEditError, Operation
from catalog.bulkedit.preview import bulk_edit_preview, category_operation, products_select
from catalog.models import Product

pytestmark = pytest.mark.django_db


def _skus(selection) -> set[str]:
    return set(Product.objects.filter(pk__in=selection.product_ids).values_list("sku", flat=True))


def test_a_category_selects_its_products_and_its_subcategories(shop):
    selection = products_select(category_path="clothing")

    assert _skus(selection) == {"SCARF", "SHIRT-1", "SHIRT-2"}
    assert selection.words == "the products of Clothing and its subcategories"


def test_a_subcategory_is_named_by_its_path_as_the_export_writes_it(shop):
    assert _skus(products_select(category_path="clothing/shirts")) == {"SHIRT-1", "SHIRT-2"}
    with pytest.raises(BulkEditError, match="No category 'shirts'"):
        products_select(category_path="shirts")


def test_skus_of_products_or_variants_add_to_the_category(shop):
    selection = products_select(category_path="clothing/shirts", skus=["BOOT-M", "SCARF"])

    assert _skus(selection) == {"SHIRT-1", "SHIRT-2", "BOOT", "SCARF"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Select products"),
        ({"skus": ["SHIRT-1", "NOPE"]}, "No product or variant with the SKU 'NOPE'"),
        ({"category_path": "hats"}, "No category 'hats'"),
    ],
)
def test_a_bad_selection_is_one_sentence(shop, kwargs, message):
    with pytest.raises(BulkEditError, match=message):
        products_select(**kwargs)


def test_the_preview_shows_each_product_now_and_after_and_writes_nothing(shop):
    selection = products_select(category_path="clothing/shirts")
    operations = [Operation(PRICE_PERCENT, "10"), category_operation("shoes")]

    preview = bulk_edit_preview(selection=selection, operations=operations)

    assert (preview.selected, len(preview.changed), preview.values, preview.ok) == (2, 2, 6, True)
    shirt = next(p for p in preview.products if p.sku == "SHIRT-1")
    assert {(c.variant_sku, c.field, c.before, c.after) for c in shirt.changes} == {
        ("SHIRT-1-S", "price", Decimal("19.99"), Decimal("21.99")),
        ("SHIRT-1-M", "price", Decimal("10.00"), Decimal("11.00")),
        ("", "category", shop.shirts.pk, shop.shoes.pk),
    }
    assert preview.summary == "price +10%, category Shoes"
    assert Product.objects.get(sku="SHIRT-1").category == shop.shirts


def test_a_product_already_as_asked_is_counted_unchanged(shop):
    selection = products_select(category_path="clothing")

    preview = bulk_edit_preview(selection=selection, operations=[category_operation("clothing")])

    assert (preview.selected, [p.sku for p in preview.changed], preview.unchanged) == (
        3,
        ["SHIRT-1", "SHIRT-2"],
        1,
    )


def test_a_negative_price_is_an_error_naming_product_and_variant(shop):
    selection = products_select(skus=["BOOT"])

    preview = bulk_edit_preview(selection=selection, operations=[Operation(PRICE_PERCENT, "-150")])

    assert not preview.ok
    assert preview.errors[0] == "BOOT: BOOT-S would cost -10.00: a price cannot be negative."


def test_a_price_change_of_a_product_in_two_currencies_is_an_error(shop):
    variant = shop.products["BOOT"].variants.get(sku="BOOT-M")
    variant.currency = "USD"
    variant.save()

    preview = bulk_edit_preview(
        selection=products_select(skus=["BOOT", "SCARF"]),
        operations=[Operation(PRICE_PERCENT, "10")],
    )

    assert len(preview.errors) == 1
    assert preview.errors[0].startswith("BOOT: its variants are priced in more than one currency")


def test_no_operation_is_refused(shop):
    with pytest.raises(BulkEditError, match="Say what to change"):
        bulk_edit_preview(selection=products_select(skus=["BOOT"]), operations=[])
