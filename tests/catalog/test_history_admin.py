from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, Variant
from testkit.admin_forms import post_loaded, product_fields, product_form, variant_row
from testkit.on_commit import forget_all

pytestmark = pytest.mark.django_db


def _product_form(product: Product, **changes: str) -> dict:
    """The product change form as the admin posts it, with no variant rows."""
    return product_form(product_fields(product, **changes))


def _admin_save(client, product: Product, **changes: str) -> None:
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = post_loaded(client, url, _product_form(product, **changes))
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    _as_if_committed()


def _as_if_committed() -> None:
    # The test's transaction never commits, and the statistics receivers bump a product's
    # version once per transaction: forget the queued callbacks as a commit would.
    forget_all()


def _save_as(obj: Product | Variant, user, when=None, **changes: object) -> None:
    """A save attributed to ``user`` at ``when`` (simple-history's documented hooks)."""
    for field, value in changes.items():
        setattr(obj, field, value)
    obj._history_user = user
    obj._history_date = when or timezone.now()
    obj.save()


def _history_types(obj: Product | Variant) -> list[str]:
    return list(obj.history.order_by("history_date").values_list("history_type", flat=True))


def _history_page(client, obj: Product | Variant):
    name = type(obj)._meta.model_name
    response = client.get(reverse(f"admin:catalog_{name}_history", args=[obj.pk]))
    assert response.status_code == 200
    return response


def _row_changes(row: dict) -> list[tuple[str, str, str]]:
    return [(c["field"], c["old"], c["new"]) for c in row["changes"]]


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
    changes = [_row_changes(row) for row in response.context["rows"]]
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
    editor, editor_client, product_factory
):
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
    assert 'value="Restore this version"' in page.content.decode()
    response = post_loaded(editor_client, url, _product_form(first.instance))

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
    client, user_factory, product_factory
):
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
    assert 'value="Restore this version"' not in page.content.decode()
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.name == "Trail Runner Max"


def test_every_save_leaves_its_record_however_quick(editor, product_factory, settings):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    product = product_factory(name="Lamp")
    start = timezone.now()

    for n in range(5):  # five saves a minute apart: one burst on the page, five records
        _save_as(product, editor, start + timedelta(minutes=n), name=f"Lamp {n}")

    assert _history_types(product) == ["+", "~", "~", "~", "~", "~"]
    names = list(product.history.order_by("history_date").values_list("name", flat=True))
    assert names == ["Lamp", "Lamp 0", "Lamp 1", "Lamp 2", "Lamp 3", "Lamp 4"]


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


def test_a_burst_is_one_row_with_the_whole_change_expanding_to_each_save(
    editor, editor_client, product_factory, settings
):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    product = product_factory(name="Lamp", status="draft")
    _admin_save(editor_client, product, name="Desk Lamp")
    _admin_save(editor_client, product, name="Desk Lamp", status="published")
    _admin_save(editor_client, product, name="Desk Lamp XL", status="published")

    response = _history_page(editor_client, product)

    burst, creation = response.context["rows"]
    assert product.history.count() == 4
    assert sorted(_row_changes(burst)) == [
        ("Name", "Lamp", "Desk Lamp XL"),
        ("Status", "Draft", "Published"),
    ]
    assert [_row_changes(save) for save in burst["saves"]] == [
        [("Name", "Desk Lamp", "Desk Lamp XL")],
        [("Status", "Draft", "Published")],
        [("Name", "Lamp", "Desk Lamp")],
    ]
    assert (burst["record"].history_user, creation["saves"][0]["record"].history_type) == (
        editor,
        "+",
    )
    content = response.content.decode()
    assert content.count('<details class="history-saves">') == 1
    assert "3 saves in this burst" in content
    # Each save of the burst links to its own version (and its Revert button).
    for record in product.history.filter(history_type="~"):
        url = reverse("admin:catalog_product_simple_history", args=[product.pk, record.pk])
        assert f'href="{url}"' in content


def test_a_price_of_001_and_a_free_name_put_back_within_minutes_stay_in_the_history(
    editor, editor_client, variant_factory, settings
):
    # The change that folding used to erase: each save is kept and shown in the burst.
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    variant = variant_factory(sku="LAMP-1", price=Decimal("19.99"), product__name="Lamp")
    product = variant.product
    url = reverse("admin:catalog_product_change", args=[product.pk])
    for name, price in (("FREE Lamp", "0.01"), ("Lamp", "19.99")):
        data = product_form(
            product_fields(product, name=name), [variant_row(variant, price=price)], initial=1
        )
        assert post_loaded(editor_client, url, data).status_code == 302
        _as_if_committed()

    assert list(product.history.order_by("history_date").values_list("name", flat=True)) == [
        "Lamp",
        "FREE Lamp",
        "Lamp",
    ]
    assert [
        str(p) for p in variant.history.order_by("history_date").values_list("price", flat=True)
    ] == [
        "19.99",
        "0.01",
        "19.99",
    ]
    response = _history_page(editor_client, product)
    burst = response.context["rows"][0]
    assert _row_changes(burst) == [] and burst["variants"] == []  # no net change...
    put_back, made_free = burst["saves"]  # ...but both saves, each with its own diff
    assert _row_changes(made_free) == [("Name", "Lamp", "FREE Lamp")]
    assert [(v["sku"], _row_changes(v)) for v in made_free["variants"]] == [
        ("LAMP-1", [("Price", "19.99", "0.01")])
    ]
    assert _row_changes(put_back) == [("Name", "FREE Lamp", "Lamp")]
    content = response.content.decode()
    assert '<ins class="diff-added">FREE </ins>Lamp' in content  # the name, word by word
    assert '<del class="diff-removed">FREE </del>Lamp' in content
    assert "No net change" in content


def test_a_variant_only_save_shows_its_variant_changes_on_the_product_history(
    editor_client, variant_factory
):
    variant = variant_factory(sku="SKU-1", price=Decimal("10.00"))
    product = variant.product
    data = product_form(product_fields(product), [variant_row(variant, price="12.00")], initial=1)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    assert post_loaded(editor_client, url, data).status_code == 302

    response = _history_page(editor_client, product)

    newest = response.context["rows"][0]
    assert _row_changes(newest) == []
    assert [(v["sku"], v["kind"], _row_changes(v)) for v in newest["variants"]] == [
        ("SKU-1", "changed", [("Price", "10.00", "12.00")])
    ]
    content = " ".join(response.content.decode().split())
    assert "Variants changed:" in content
    assert "SKU-1 price" in content


def test_one_word_changed_in_a_long_description_is_highlighted_and_the_rest_folded(
    editor_client, product_factory
):
    old = "Essential comfort. " * 15 + "Old ending."
    new = "Essential comfort. " * 15 + "New ending."
    product = product_factory(description=old)

    _admin_save(editor_client, product, description=new)

    response = _history_page(editor_client, product)
    (change,) = response.context["rows"][0]["changes"]
    assert (change["field"], change["old"], change["new"]) == ("Description", old, new)
    diff = str(change["diff"])
    assert '<del class="diff-removed">Old </del><ins class="diff-added">New </ins>ending.' in diff
    # The 30 unchanged words before it: the 6 nearest shown, 24 behind a button that
    # holds them (nothing cut), in the page's HTML.
    assert "… 24 unchanged words …</button>" in diff
    assert 'aria-expanded="false"' in diff
    assert diff.count("Essential comfort.") == 15
    assert "chars]" not in response.content.decode()
    assert str(change["diff"]) in response.content.decode()


def test_the_history_page_runs_the_same_queries_however_long_the_history(
    editor, editor_client, variant_factory, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.EDITORS_HISTORY_FOLD_SECONDS = 0  # every save its own row: the most work
    variant = variant_factory()
    product = variant.product

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            _history_page(editor_client, product)
        return len(captured)

    start = timezone.now()
    _save_as(product, editor, start, name="Short")
    _save_as(variant, editor, start, stock=1)
    short = count()
    for n in range(20):
        when = start + timedelta(minutes=n + 1)
        _save_as(product, editor, when, name=f"Long {n}")
        _save_as(variant, editor, when, stock=n + 2)

    assert count() == short


def test_variant_changes_have_their_own_history_page_with_diffs(
    editor, editor_client, variant_factory
):
    variant = variant_factory(price=Decimal("19.99"))
    _save_as(variant, editor, price=Decimal("24.99"))

    response = editor_client.get(reverse("admin:catalog_variant_history", args=[variant.pk]))

    assert response.status_code == 200
    newest = response.context["rows"][0]
    assert newest["record"].history_user == editor
    assert _row_changes(newest) == [("Price", "19.99", "24.99")]


def test_variant_saves_through_the_product_inline_are_recorded(
    editor, editor_client, variant_factory
):
    variant = variant_factory(price=Decimal("19.99"))
    product = variant.product
    data = product_form(product_fields(product), [variant_row(variant, price="21.50")], initial=1)

    response = post_loaded(
        editor_client, reverse("admin:catalog_product_change", args=[product.pk]), data
    )

    assert response.status_code == 302
    record = variant.history.latest()
    assert (record.history_user, record.price) == (editor, Decimal("21.50"))


def test_an_editor_reverts_a_variant_price(editor, editor_client, variant_factory):
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

    response = post_loaded(editor_client, url, data)

    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.price == Decimal("19.99")
    assert variant.history.latest().history_user == editor


def test_the_product_page_links_each_variants_history(editor_client, variant_factory):
    variant = variant_factory(sku="LINKED-1")

    response = editor_client.get(reverse("admin:catalog_product_change", args=[variant.product_id]))

    history_url = reverse("admin:catalog_variant_history", args=[variant.pk])
    assert f'<a href="{history_url}">LINKED-1</a>' in response.content.decode()


def test_a_change_made_by_code_shows_system_as_its_author(editor_client, product_factory):
    product = product_factory(name="Lamp")  # created from code: no request, no user

    content = _history_page(editor_client, product).content.decode()

    table = content.split('id="change-history"')[1].split("<tbody>")[1]
    changed_by = table.split("</td>")[3]  # object, date, comment, changed by
    assert changed_by.strip().endswith("system")
    assert "None" not in changed_by


def test_the_burst_window_is_said_in_words(editor_client, product_factory, settings):
    settings.EDITORS_HISTORY_FOLD_SECONDS = 60
    content = _history_page(editor_client, product_factory()).content.decode()
    assert "at most 1 minute apart" in content

    settings.EDITORS_HISTORY_FOLD_SECONDS = 0
    content = _history_page(editor_client, product_factory()).content.decode()
    assert "apart, share a row" not in content
