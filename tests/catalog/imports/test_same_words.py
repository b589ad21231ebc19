"""The same bad value, typed on the admin's page or written in an import file, is refused
with the same words: the import checks cells with the models' and forms' own rules
(``catalog.imports.fields``, ``catalog.rules``), never with rules of its own. A category
path is the exception: only a file names a category so (the form offers a list)."""

import pytest
from django.urls import reverse

from catalog.imports.services import catalog_import
from catalog.models import Category, Product
from catalog.tree import CYCLE_MESSAGE
from testkit.admin_forms import post_loaded, product_form
from tests.catalog.imports.conftest import row

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalog_product_add")


def _admin_product_errors(admin_client, fields: dict[str, str], variants: list[dict[str, str]]):
    """Every message the product's add page shows for this post (nothing is saved)."""
    base = {
        "sku": "NEW-1",
        "name": "New shirt",
        "slug": "new-shirt",
        "description": "",
        "category": "",
        "status": "published",
    }
    response = admin_client.post(ADD_URL, product_form(base | fields, variants))
    assert response.status_code == 200, "the form again, with its errors"
    assert not Product.objects.exists()
    messages = [m for ms in response.context["adminform"].form.errors.values() for m in ms]
    for formset in response.context["inline_admin_formsets"]:
        messages += list(formset.formset.non_form_errors())
        for form in formset.formset.forms:
            messages += [m for ms in form.errors.values() for m in ms]
    return messages


def _import_errors(csv_file, rows: list[dict[str, str]]) -> list[str]:
    """The messages of the file's dry run (the import's preview), each without its place."""
    report = catalog_import(path=csv_file(rows), dry_run=True)
    assert not report.ok
    return [error.message for error in report.errors]


def _variant(**values: str) -> dict[str, str]:
    return {
        "sku": "NEW-1-M",
        "size": "M",
        "colour": "blue",
        "price": "19.90",
        "currency": "EUR",
        "stock": "5",
    } | values


def _same_words(form: list[str], imported: list[str]) -> None:
    [form_words] = form
    [import_words] = imported
    assert form_words in import_words, f"form: {form_words!r}; import: {import_words!r}"


def test_a_negative_price(admin_client, csv_file):
    form = _admin_product_errors(admin_client, {}, [_variant(price="-2")])
    imported = _import_errors(csv_file, [row(price="-2")])

    assert form == ["A price cannot be negative."]
    _same_words(form, imported)


def test_mixed_currencies_within_a_product(admin_client, csv_file):
    form = _admin_product_errors(
        admin_client, {}, [_variant(), _variant(sku="NEW-1-L", currency="USD")]
    )
    imported = _import_errors(csv_file, [row(), row(variant_sku="NEW-1-L", currency="USD")])

    assert form[0].startswith("All variants of a product must have the same currency")
    assert form[1:] == ["The other variants use EUR."]  # the page's mark on the odd row
    assert imported == form[:1]  # the rule's sentence itself (catalog.rules)


@pytest.mark.parametrize("column", ["product_sku", "variant_sku"])
def test_a_bad_sku(admin_client, csv_file, column):
    if column == "product_sku":
        form = _admin_product_errors(admin_client, {"sku": "bad sku"}, [_variant()])
    else:
        form = _admin_product_errors(admin_client, {}, [_variant(sku="bad sku")])
    imported = _import_errors(csv_file, [row(**{column: "bad sku"})])

    assert form[0].startswith("A SKU is 3 to 32 characters")
    _same_words(form, imported)


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "n" * 201), ("status", "retired"), ("slug", "no spaces")],
)
def test_other_product_fields(admin_client, csv_file, field, value):
    form = _admin_product_errors(admin_client, {field: value}, [_variant()])
    imported = _import_errors(csv_file, [row(**{field: value})])

    _same_words(form, imported)


@pytest.mark.parametrize(
    ("field", "value"),
    [("price", "1.234"), ("price", "abc"), ("stock", "-1"), ("stock", "many"), ("size", "s" * 33)],
)
def test_other_variant_fields(admin_client, csv_file, field, value):
    form = _admin_product_errors(admin_client, {}, [_variant(**{field: value})])
    imported = _import_errors(csv_file, [row(**{field: value})])

    _same_words(form, imported)


def test_an_unknown_category(csv_file):
    """The one exception: the form offers a list of categories ("Select a valid choice"),
    a file names one by its path, which only a file can get wrong: the import's words."""
    imported = _import_errors(csv_file, [row(category="clothing/no-such-shirts")])

    assert imported == ['Category "clothing/no-such-shirts" does not exist.']


def test_a_cycle(admin_client, csv_file, category_factory):
    """A file names a product's category; it has no column for a category's parent, so it
    cannot move a category under its own child. The nearest it can write is a path that
    only a cycle could give (a category above its own parent): a category that is not
    there, refused as such (``test_an_unknown_category``), while the category form
    refuses the cycle itself with the tree's one sentence (``catalog.tree``)."""
    top = category_factory(slug="clothing", parent=None)
    child = category_factory(slug="clothing-shirts", parent=top)
    url = reverse("admin:catalog_category_change", args=[top.pk])

    response = post_loaded(
        admin_client, url, {"name": top.name, "slug": top.slug, "parent": str(child.pk)}
    )
    imported = _import_errors(csv_file, [row(category="clothing/clothing-shirts/clothing")])

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [CYCLE_MESSAGE]
    assert Category.objects.get(pk=top.pk).parent_id is None
    assert imported == ['Category "clothing/clothing-shirts/clothing" does not exist.']
