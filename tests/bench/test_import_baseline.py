"""The import benchmark's baseline (``testkit.import_baseline``) imports the export's file
row by row: a product and its variants come back as they were, each row its own save."""

import pytest
import tablib

from catalog.imports.exports import catalog_export_file
from catalog.models import Product, Variant
from testkit.import_baseline import RowByRowResource

pytestmark = pytest.mark.django_db


def test_the_baseline_imports_an_export_row_by_row(product_factory, variant_factory, tmp_path):
    product = product_factory()
    variant_factory(product=product, sku="BASE-1-M")
    variant_factory(product=product, sku="BASE-1-L")
    exported = tmp_path / "catalog.csv"
    with exported.open("wb") as out:
        catalog_export_file(out=out, fmt="csv")
    before = sorted(Variant.objects.values_list("sku", "price", "product__sku"))
    Variant.objects.all().delete()
    Product.objects.all().delete()

    dataset = tablib.Dataset().load(exported.read_text(encoding="utf-8-sig"), format="csv")
    result = RowByRowResource().import_data(dataset, dry_run=False, raise_errors=True)

    assert not result.has_errors()
    assert sorted(Variant.objects.values_list("sku", "price", "product__sku")) == before
