"""A product's History shows every change of its variants, and says what is true of the
oldest record (catalog.history read by product id)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.imports.services import catalog_import
from catalog.models import Product, Variant
from testkit.admin_forms import post_loaded
from tests.catalog.test_history import _save_as

pytestmark = pytest.mark.django_db

HEADER = (
    "product_sku,name,slug,status,category,description,version,"
    "variant_sku,size,colour,price,currency,stock\n"
)


def _rows(client, product: Product) -> list[dict]:
    response = client.get(reverse("admin:catalog_product_history", args=[product.pk]))
    assert response.status_code == 200
    return response.context["rows"]


def _variants(entry: dict) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    return [
        (v["sku"], v["kind"], [(c["field"], c["old"], c["new"]) for c in v["changes"]])
        for v in entry["variants"]
    ]


def test_a_save_on_the_variants_own_page_shows_on_its_products_history(
    editor, editor_client, variant_factory
):
    variant = variant_factory(sku="MUG-1", price=Decimal("8.00"), stock=3)
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    data = {
        "product": str(variant.product_id),
        "sku": "MUG-1",
        "size": variant.size,
        "colour": variant.colour,
        "price": "9.50",
        "currency": variant.currency,
        "stock": "3",
    }
    assert post_loaded(editor_client, url, data).status_code == 302

    newest = _rows(editor_client, variant.product)[0]

    assert newest["last"]["user"] == editor
    assert newest["last"]["record"] is None  # no product record: the variant's own save
    assert newest["last"]["variant_skus"] == ["MUG-1"]
    assert _variants(newest) == [("MUG-1", "changed", [("Price", "8.00", "9.50")])]


def test_an_imports_variant_change_shows_on_its_products_history_with_who_and_why(
    editor, editor_client, variant_factory, tmp_path
):
    variant = variant_factory(
        sku="CAP-1-M", price=Decimal("12.00"), stock=10, product__sku="CAP-1", product__name="Cap"
    )
    product = variant.product
    row = [product.sku, product.name, product.slug, product.status, "", product.description]
    row += ["", "CAP-1-M", variant.size, variant.colour, "14.00", variant.currency, "5"]
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + ",".join(row) + "\n", encoding="utf-8")

    report = catalog_import(path=path, user=editor)

    assert report.applied, report
    newest = _rows(editor_client, product)[0]
    assert (newest["last"]["user"], newest["last"]["reason"]) == (editor, "Import of prices.csv")
    assert _variants(newest) == [
        ("CAP-1-M", "changed", [("Price", "12.00", "14.00"), ("Stock", "10", "5")])
    ]
    content = editor_client.get(
        reverse("admin:catalog_product_history", args=[product.pk])
    ).content.decode()
    assert "Import of prices.csv" in content and "CAP-1-M" in content


def test_a_product_save_with_its_variants_is_one_entry(editor, editor_client, variant_factory):
    variant = variant_factory(sku="LAMP-1", price=Decimal("20.00"))
    product = variant.product
    when = timezone.now()
    _save_as(product, editor, when, name="Desk lamp")
    _save_as(variant, editor, when, price=Decimal("22.00"))

    rows = _rows(editor_client, product)

    newest = rows[0]
    assert newest["last"]["record"] is not None
    assert [c["field"] for c in newest["changes"]] == ["Name"]
    assert _variants(newest) == [("LAMP-1", "changed", [("Price", "20.00", "22.00")])]
    assert len(rows) == 3  # the save; the variant's creation; the product's creation


def test_the_oldest_record_says_first_recorded_version_not_no_net_change(
    editor, editor_client, settings
):
    # Seeded rows: written in bulk, without a history record.
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    (product,) = Product.objects.bulk_create(
        [Product(sku="SEED-1", name="Lamp", slug="seed-1", description="Old text")]
    )
    Variant.objects.bulk_create(
        [Variant(product=product, sku="SEED-1-A", price=Decimal("5.00"), stock=1)]
    )
    variant = Variant.objects.get(sku="SEED-1-A")
    start = timezone.now()
    _save_as(product, editor, start, name="Lamp")  # the first record: nothing before it
    _save_as(product, editor, start + timedelta(minutes=1), name="Desk lamp")
    _save_as(variant, editor, start + timedelta(minutes=2), stock=2)

    (row,) = _rows(editor_client, product)

    assert row["first_recorded"] is True
    assert [(c["field"], c["old"], c["new"]) for c in row["changes"]] == [
        ("Name", "Lamp", "Desk lamp")
    ]
    assert _variants(row) == [("SEED-1-A", "first recorded", [])]
    assert row["saves"][-1]["kind_label"] == "First recorded version"
    content = editor_client.get(
        reverse("admin:catalog_product_history", args=[product.pk])
    ).content.decode()
    assert "No net change" not in content
    assert "First recorded version: there is no earlier record to compare it with" in content


def test_a_single_first_record_is_not_called_a_change_of_nothing(editor, editor_client):
    (product,) = Product.objects.bulk_create([Product(sku="SEED-2", name="Mug", slug="seed-2")])
    _save_as(product, editor, timezone.now(), name="Mug")

    (row,) = _rows(editor_client, product)

    assert row["first_recorded"] and row["last"]["kind_label"] == "First recorded version"
    content = editor_client.get(
        reverse("admin:catalog_product_history", args=[product.pk])
    ).content.decode()
    assert "No field changed" not in content
