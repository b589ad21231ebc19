from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, Variant
from config.transactions import PerTransaction
from testkit.admin_forms import product_fields, product_form, variant_row

pytestmark = pytest.mark.django_db


def _product_form(product: Product, **changes: str) -> dict:
    """The product change form as the admin posts it, with no variant rows."""
    return product_form(product_fields(product, **changes))


def _admin_save(client, product: Product, **changes: str) -> None:
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = client.post(url, _product_form(product, **changes))
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    _as_if_committed()


def _as_if_committed() -> None:
    # The test's transaction never commits, and the statistics receivers bump a product's
    # version once per transaction: forget the queued callbacks as a commit would.
    PerTransaction.forget_all()


def _save_as(obj: Product | Variant, user, when=None, **changes: object) -> None:
    """A save attributed to ``user`` at ``when`` (simple-history's documented hooks)."""
    for field, value in changes.items():
        setattr(obj, field, value)
    obj._history_user = user
    obj._history_date = when or timezone.now()
    obj.save()


def _history_types(obj: Product | Variant) -> list[str]:
    return list(obj.history.order_by("history_date").values_list("history_type", flat=True))


def test_an_admin_save_records_the_editor_and_the_new_values(
    editor, editor_client, product_factory
):
    product = product_factory(name="Trail Runner")

    _admin_save(editor_client, product, name="Trail Runner Pro", status="published")

    record = product.history.latest()
    assert record.history_type == "~"
    assert record.history_user == editor
    assert (record.name, record.status) == ("Trail Runner Pro", "published")


def test_the_history_page_shows_field_old_and_new_values(editor_client, product_factory, settings):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 0
    product = product_factory(name="Trail Runner")
    _admin_save(editor_client, product, name="Trail Runner Pro")
    _admin_save(editor_client, product, name="Trail Runner Pro", status="published")

    response = editor_client.get(reverse("admin:catalog_product_history", args=[product.pk]))

    assert response.status_code == 200
    changes = [
        [(c["field"], c["old"], c["new"]) for c in getattr(r, "history_delta_changes", [])]
        for r in response.context["page_obj"]
    ]
    # Newest first; the creation record has nothing before it to differ from.
    assert changes == [
        [("Status", "Draft", "Published")],
        [("Name", "Trail Runner", "Trail Runner Pro")],
        [],
    ]
    content = response.content.decode()
    assert "<strong>Name:</strong>" in content
    # The version counter and updated_at change on every save: not recorded, not shown.
    assert "Version:" not in content
    assert "Updated at:" not in content


def test_revert_restores_the_old_values_and_records_the_revert(
    editor, editor_client, product_factory, settings
):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 0
    product = product_factory(name="Trail Runner", status="draft")
    _as_if_committed()
    _admin_save(editor_client, product, name="Trail Runner Pro", status="published")
    first = product.history.latest()
    _admin_save(editor_client, product, name="Trail Runner Max", status="published")
    version_before = Product.objects.get(pk=product.pk).version
    records_before = product.history.count()

    url = reverse("admin:catalog_product_simple_history", args=[product.pk, first.history_id])
    page = editor_client.get(url)
    assert page.status_code == 200
    assert 'value="Revert"' in page.content.decode()
    response = editor_client.post(url, _product_form(first.instance))

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.status) == ("Trail Runner Pro", "published")
    # Reverting is a save: a new record by the editor, and the version moves on, not back.
    assert product.history.count() == records_before + 1
    latest = product.history.latest()
    assert (latest.history_type, latest.history_user, latest.name) == (
        "~",
        editor,
        "Trail Runner Pro",
    )
    assert product.version > version_before


def test_revert_is_refused_to_users_who_may_only_view_products(
    client, user_factory, product_factory, settings
):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 0
    viewer = user_factory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_product"))
    product = product_factory(name="Trail Runner")
    first = product.history.latest()
    _save_as(product, None, name="Trail Runner Max")
    client.force_login(viewer)
    url = reverse("admin:catalog_product_simple_history", args=[product.pk, first.history_id])

    page = client.get(url)
    response = client.post(url, _product_form(first.instance))

    assert page.status_code == 200
    assert 'value="Revert"' not in page.content.decode()
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.name == "Trail Runner Max"


def test_two_saves_by_the_same_user_within_the_window_keep_one_record_after_creation(
    editor, product_factory, settings
):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    product = product_factory(name="Lamp")
    start = timezone.now()

    _save_as(product, editor, start, name="Lamp 2")
    _save_as(product, editor, start + timedelta(minutes=9), name="Lamp 3")

    assert _history_types(product) == ["+", "~"]
    assert product.history.latest().name == "Lamp 3"


def test_the_window_slides_so_a_burst_of_saves_keeps_its_last_record(
    editor, product_factory, settings
):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    product = product_factory(name="Lamp")
    start = timezone.now()

    for minute in range(0, 40, 8):  # 5 saves over 32 minutes, 8 minutes apart
        _save_as(product, editor, start + timedelta(minutes=minute), name=f"Lamp {minute}")

    assert _history_types(product) == ["+", "~"]
    assert product.history.latest().name == "Lamp 32"


def test_the_diff_between_the_kept_records_shows_the_whole_burst(editor, product_factory, settings):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    product = product_factory(name="Lamp", status="draft")
    created = product.history.latest()

    _save_as(product, editor, name="Desk Lamp")
    _save_as(product, editor, status="published")  # folds the save before it

    latest = product.history.latest()
    assert _history_types(product) == ["+", "~"]
    changes = {(c.field, c.old, c.new) for c in latest.diff_against(created).changes}
    assert changes == {("name", "Lamp", "Desk Lamp"), ("status", "draft", "published")}


def test_saves_by_different_users_are_kept(editor_factory, product_factory, settings):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    alice, bob = editor_factory(), editor_factory()
    product = product_factory()

    _save_as(product, alice, name="By Alice")
    _save_as(product, bob, name="By Bob")
    _save_as(product, alice, name="By Alice again")

    assert _history_types(product) == ["+", "~", "~", "~"]
    assert [r.history_user for r in product.history.order_by("history_date")][1:] == [
        alice,
        bob,
        alice,
    ]


def test_saves_further_apart_than_the_window_are_kept(editor, product_factory, settings):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    product = product_factory()
    start = timezone.now()

    _save_as(product, editor, start, name="First")
    _save_as(product, editor, start + timedelta(seconds=601), name="Second")

    assert _history_types(product) == ["+", "~", "~"]


def test_the_creation_record_is_never_folded(editor, editor_client, category_factory, settings):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    response = editor_client.post(
        reverse("admin:catalog_product_add"),
        _product_form(
            Product(sku="NEW-1", name="New", slug="new", category=category_factory()),
        ),
    )
    assert response.status_code == 302
    product = Product.objects.get(sku="NEW-1")

    _admin_save(editor_client, product, name="New and improved")

    assert _history_types(product) == ["+", "~"]
    assert {r.history_user for r in product.history.all()} == {editor}


def test_a_zero_window_keeps_every_save(editor, product_factory, settings):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 0
    product = product_factory()

    for n in range(3):
        _save_as(product, editor, name=f"Save {n}")

    assert _history_types(product) == ["+", "~", "~", "~"]


def test_variant_changes_have_their_own_history_page_with_diffs(
    editor, editor_client, variant_factory, settings
):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 0
    variant = variant_factory(price=Decimal("19.99"))
    _save_as(variant, editor, price=Decimal("24.99"))

    response = editor_client.get(reverse("admin:catalog_variant_history", args=[variant.pk]))

    assert response.status_code == 200
    newest = response.context["page_obj"][0]
    assert newest.history_user == editor
    assert [(c["field"], c["old"], c["new"]) for c in newest.history_delta_changes] == [
        ("Price", "19.99", "24.99")
    ]


def test_variant_saves_through_the_product_inline_are_recorded(
    editor, editor_client, variant_factory
):
    variant = variant_factory(price=Decimal("19.99"))
    product = variant.product
    data = product_form(product_fields(product), [variant_row(variant, price="21.50")], initial=1)

    response = editor_client.post(reverse("admin:catalog_product_change", args=[product.pk]), data)

    assert response.status_code == 302
    record = variant.history.latest()
    assert (record.history_user, record.price) == (editor, Decimal("21.50"))


def test_an_editor_reverts_a_variant_price(editor, editor_client, variant_factory, settings):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 0
    variant = variant_factory(price=Decimal("19.99"))
    first = variant.history.latest()
    _save_as(variant, editor, price=Decimal("99.00"))
    url = reverse("admin:catalog_variant_simple_history", args=[variant.pk, first.history_id])
    old = first.instance
    data = {
        "product": str(old.product_id),
        "sku": old.sku,
        "size": old.size,
        "colour": old.colour,
        "price": str(old.price),
        "currency": old.currency,
        "stock": str(old.stock),
    }

    response = editor_client.post(url, data)

    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.price == Decimal("19.99")
    assert variant.history.latest().history_user == editor


def test_the_product_page_links_each_variants_history(editor_client, variant_factory):
    variant = variant_factory(sku="LINKED-1")

    response = editor_client.get(reverse("admin:catalog_product_change", args=[variant.product_id]))

    history_url = reverse("admin:catalog_variant_history", args=[variant.pk])
    assert f'<a href="{history_url}">LINKED-1</a>' in response.content.decode()
