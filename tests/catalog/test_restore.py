"""Restore this version: the product and its variants as they were, recorded in History."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.admin.version_token import TOKEN_FIELD
from catalog.models import Product, Variant
from catalog.restore import restore_plan
from testkit.admin_forms import product_fields, product_form, variant_row, version_token
from tests.catalog.test_history import _save_as

pytestmark = pytest.mark.django_db


def _create(model, user, when, **values):
    obj = model(**values)
    obj._history_user, obj._history_date = user, when
    obj.save()
    return obj


@pytest.fixture
def shop(editor_factory):
    """A product saved by alice at T with two variants; since then bob changed a price,
    deleted one variant and added another. All in the past, as History sorts by date."""
    alice, bob = editor_factory(username="alice"), editor_factory(username="bob")
    at = timezone.now() - timedelta(hours=3)
    product = _create(
        Product, alice, at, sku="TEE", name="Tee", slug="tee", description="Soft cotton tee."
    )
    small = _create(Variant, alice, at, product=product, sku="TEE-S", price=Decimal("10.00"))
    large = _create(Variant, alice, at, product=product, sku="TEE-L", price=Decimal("12.00"))
    _save_as(product, alice, at + timedelta(minutes=1), name="Tee")
    version = product.history.latest()
    later = at + timedelta(hours=1)
    _save_as(product, bob, later, name="Tee v2", description="Soft organic cotton tee.")
    _save_as(small, bob, later, price=Decimal("15.00"))
    large._history_user, large._history_date = bob, later
    large.delete()
    extra = _create(
        Variant,
        bob,
        later + timedelta(minutes=1),
        product=product,
        sku="TEE-XL",
        price=Decimal("14.00"),
    )
    return product, version, extra


def _url(product: Product, version) -> str:
    return reverse("admin:catalog_product_simple_history", args=[product.pk, version.pk])


def _restore(client, product: Product, version, **extra: str):
    page = client.get(_url(product, version))
    data = product_form(product_fields(version.instance)) | {
        TOKEN_FIELD: version_token(page.content.decode()),
        "_restore_variants_seen": page.context["restore_plan"]["seen"],
    }
    return client.post(_url(product, version), data | extra)


def test_the_plan_says_what_happens_to_the_product_and_each_variant(shop):
    product, version, _ = shop

    plan = restore_plan(product=Product.objects.get(pk=product.pk), record=version)

    assert [(c.label, c.now, c.after) for c in plan.product_changes] == [
        ("Name", "Tee v2", "Tee"),
        ("Description", "Soft organic cotton tee.", "Soft cotton tee."),
    ]
    assert [
        (v.sku, v.action, [(c.name, c.now, c.after) for c in v.changes]) for v in plan.variants
    ] == [
        ("TEE-L", "brought back", []),
        ("TEE-S", "changed", [("price", Decimal("15.00"), Decimal("10.00"))]),
        ("TEE-XL", "removed", []),
    ]
    assert plan.problems == []
    assert plan.reason.startswith("Restored the version of ")
    assert plan.reason.endswith(", by alice")


def test_the_restore_page_shows_now_and_after_restore_and_the_versions_own_date(
    editor_client, shop
):
    product, version, _ = shop

    response = editor_client.get(_url(product, version))

    content = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "Restore the version of" in content and ", by alice" in content
    assert '<del class="diff-removed">organic </del>' in content  # the description, word by word
    price = '<span class="history-value">15.00</span></td><td><span class="history-value">10.00'
    assert "Variant TEE-S: price</th> <td>" + price in content
    assert 'Variant TEE-XL</th> <td>there</td><td class="restore-gone">removed' in content
    assert 'Variant TEE-L</th> <td>deleted</td><td class="restore-back">brought back' in content
    # Today's figures are not the version's: not shown on its page.
    assert "field-version" not in content and "field-updated_at" not in content
    assert 'value="Restore this version"' in content
    assert "Historical products" not in content and "Revert product" not in content
    seen = response.context["restore_plan"]["seen"]
    form = content[content.index('id="historicalproduct_form"') :]
    assert f'name="_restore_variants_seen" value="{seen}"' in form  # posted with the form


def test_restoring_brings_back_the_variants_and_history_records_it(editor, editor_client, shop):
    product, version, extra = shop

    response = _restore(editor_client, product, version)

    assert response.status_code == 302, response.context and response.context["errors"]
    product.refresh_from_db()
    assert (product.name, product.description) == ("Tee", "Soft cotton tee.")
    assert dict(product.variants.values_list("sku", "price")) == {
        "TEE-S": Decimal("10.00"),
        "TEE-L": Decimal("12.00"),
    }
    assert not Variant.objects.filter(pk=extra.pk).exists()
    record = product.history.latest()
    assert record.history_user == editor
    assert record.history_change_reason.startswith("Restored the version of ")
    variant_records = Variant.history.filter(history_date=record.history_date)
    assert sorted(variant_records.values_list("sku", "history_type")) == [
        ("TEE-L", "+"),
        ("TEE-S", "~"),
        ("TEE-XL", "-"),
    ]
    assert {r.history_change_reason for r in variant_records} == {record.history_change_reason}
    # History: one row, by the editor, with the reason, the product's and variants' changes.
    rows = editor_client.get(reverse("admin:catalog_product_history", args=[product.pk])).context[
        "rows"
    ]
    newest = rows[0]
    assert (newest["last"]["user"], newest["last"]["reason"]) == (
        editor,
        record.history_change_reason,
    )
    assert [(v["sku"], v["kind"]) for v in newest["variants"]] == [
        ("TEE-L", "added"),
        ("TEE-S", "changed"),
        ("TEE-XL", "deleted"),
    ]


def test_a_restore_whose_variants_changed_meanwhile_restores_nothing(
    editor_client, shop, editor_factory
):
    product, version, extra = shop
    page = editor_client.get(_url(product, version))
    seen = page.context["restore_plan"]["seen"]
    _save_as(extra, editor_factory(), timezone.now(), price=Decimal("99.00"))  # meanwhile
    data = product_form(product_fields(version.instance)) | {
        TOKEN_FIELD: version_token(page.content.decode()),
        "_restore_variants_seen": seen,
    }
    response = editor_client.post(_url(product, version), data, follow=True)

    assert "were changed since you opened this page: nothing was restored" in (
        response.content.decode()
    )
    product.refresh_from_db()
    assert product.name == "Tee v2"
    assert Variant.objects.get(pk=extra.pk).price == Decimal("99.00")


def test_a_variant_whose_sku_was_taken_since_blocks_the_restore(
    editor_client, shop, variant_factory
):
    product, version, _ = shop
    other = variant_factory(sku="TEE-L")  # another product's variant took the SKU

    response = _restore(editor_client, product, version)

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Tee v2"
    assert Variant.objects.get(sku="TEE-L").pk == other.pk
    follow = editor_client.get(_url(product, version)).content.decode()
    assert "TEE-L cannot come back" in follow


def test_a_variants_own_restore_is_recorded_with_the_versions_date_and_author(
    editor, editor_client, variant_factory
):
    variant = variant_factory(sku="CUP-1", price=Decimal("19.99"))
    first = variant.history.latest()
    _save_as(variant, editor, timezone.now(), price=Decimal("99.00"))
    url = reverse("admin:catalog_variant_simple_history", args=[variant.pk, first.history_id])
    # The variant's own form: the inline row's fields without its id.
    data = {k: v for k, v in variant_row(first.instance).items() if k != "id"}
    page = editor_client.get(url)
    assert "Restore the version of" in page.content.decode()
    data[TOKEN_FIELD] = version_token(page.content.decode())

    assert editor_client.post(url, data).status_code == 302

    latest = variant.history.latest()
    assert latest.price == Decimal("19.99")
    assert latest.history_change_reason.startswith("Restored the version of ")
    assert latest.history_change_reason.endswith(", by system")  # the factory's record


def test_the_history_page_speaks_of_restoring_versions(editor_client, product_factory):
    product = product_factory()

    content = editor_client.get(
        reverse("admin:catalog_product_history", args=[product.pk])
    ).content.decode()

    assert "to see what restoring it would change" in content
    assert "revert to a previous version of this object" not in content
