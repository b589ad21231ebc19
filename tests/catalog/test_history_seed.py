"""No diff that nobody made: the seed stores text as the admin form saves it."""

import pytest
from django.core.management import call_command

from catalog.demo import DEMO_SKU_PREFIX, catalog_seed
from catalog.models import Product, Variant
from tests.catalog.test_history_admin import _admin_save, _history_page, _row_changes

pytestmark = pytest.mark.django_db


def test_seeded_text_is_already_as_the_form_would_save_it():
    catalog_seed(products=30)

    for product in Product.objects.filter(sku__startswith=DEMO_SKU_PREFIX):
        for text in (product.name, product.description, product.sku, product.slug):
            assert text == text.strip()
    for variant in Variant.objects.filter(sku__startswith=DEMO_SKU_PREFIX):
        for text in (variant.sku, variant.size, variant.colour):
            assert text == text.strip()


def test_the_first_editor_save_of_a_seeded_product_shows_only_what_changed(editor_client):
    catalog_seed(products=10)
    call_command("history_baseline")  # the `make run` baseline
    product = Product.objects.filter(sku__startswith=DEMO_SKU_PREFIX).exclude(description="")[0]

    _admin_save(editor_client, product, name=f"{product.name} (renamed)")

    newest = _history_page(editor_client, product).context["rows"][0]
    assert _row_changes(newest) == [("Name", product.name, f"{product.name} (renamed)")]


def test_a_difference_only_in_outer_spaces_is_not_shown_as_a_change(editor_client, product_factory):
    # Rows seeded before the seed was normalised: the form strips the trailing space.
    product = product_factory(description="Durable and comfortable. ")

    _admin_save(editor_client, product, description="Durable and comfortable.")

    newest = _history_page(editor_client, product).context["rows"][0]
    assert _row_changes(newest) == []
    assert product.history.count() == 2  # the save is still recorded


def test_the_history_baseline_is_written_once_and_is_silent_after(capsys):
    catalog_seed(products=5)

    call_command("history_baseline")
    first = capsys.readouterr()
    call_command("history_baseline")
    again = capsys.readouterr()

    assert Product.history.count() == Product.objects.count()
    assert Variant.history.count() == Variant.objects.count()
    assert "History baseline written for products." in first.out
    assert (again.out, again.err) == ("", "")
