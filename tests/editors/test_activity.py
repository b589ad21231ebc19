import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from catalog.admin import ProductAdmin
from catalog.selectors import product_last_editors
from editors.selectors import editor_activity

pytestmark = pytest.mark.django_db

DAY_1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY_2 = DAY_1 + timedelta(days=1)
SINCE = DAY_1 - timedelta(days=1)
ACTIVITY_URL = reverse("admin:editors_editoractivity_changelist")


def _save_as(obj, user, when: datetime, **changes: object) -> None:
    for field, value in changes.items():
        setattr(obj, field, value)
    obj._history_user = user
    obj._history_date = when
    obj.save()


def _rows(user) -> list[tuple[date, int, int, int]]:
    return [
        (r.day, r.product_saves, r.variant_changes, r.products_touched)
        for r in editor_activity(since=SINCE)
        if r.user_id == user.pk
    ]


def test_activity_counts_saves_per_editor_and_day_and_products_touched(
    editor_factory, product_factory, variant_factory
):
    alice, bob = editor_factory(), editor_factory()
    lamp, mug, cap = product_factory.create_batch(3)
    mug_small = variant_factory(product=mug)

    _save_as(lamp, alice, DAY_1, name="Lamp 1")
    _save_as(lamp, alice, DAY_1 + timedelta(hours=1), name="Lamp 2")
    _save_as(mug_small, alice, DAY_1 + timedelta(hours=2), stock=3)  # touches the mug
    _save_as(lamp, alice, DAY_2, name="Lamp 3")
    _save_as(cap, bob, DAY_1, name="Cap")
    _save_as(mug, bob, DAY_1, name="Mug")
    _save_as(mug_small, bob, DAY_1, stock=4)  # the mug again: touched once

    assert _rows(alice) == [(DAY_2.date(), 1, 0, 1), (DAY_1.date(), 2, 1, 2)]
    assert _rows(bob) == [(DAY_1.date(), 2, 1, 2)]
    assert {r.username for r in editor_activity(since=SINCE) if r.user_id == alice.pk} == {
        alice.username
    }


def test_activity_counts_every_save_of_a_burst(editor, product_factory, settings):
    # A burst is one row on the History page, but each of its saves is kept and counted.
    settings.EDITORS_HISTORY_FOLD_SECONDS = 600
    product = product_factory()
    for minute in range(4):
        _save_as(product, editor, DAY_1 + timedelta(minutes=minute), name=f"Quick {minute}")

    assert _rows(editor) == [(DAY_1.date(), 4, 0, 1)]


def test_activity_leaves_out_records_before_the_period(editor, product_factory):
    product = product_factory()
    _save_as(product, editor, SINCE - timedelta(seconds=1), name="Too early")
    _save_as(product, editor, DAY_1, name="In the period")

    assert _rows(editor) == [(DAY_1.date(), 1, 0, 1)]


def test_activity_runs_one_query_whatever_the_number_of_editors_and_days(
    editor_factory, product_factory, variant_factory, django_assert_num_queries
):
    editors = editor_factory.create_batch(4)
    for day in range(5):
        for editor in editors:
            variant = variant_factory()
            _save_as(variant.product, editor, DAY_1 + timedelta(days=day), name=f"d{day}")
            _save_as(variant, editor, DAY_1 + timedelta(days=day), stock=day)

    with django_assert_num_queries(1):
        rows = editor_activity(since=SINCE)

    assert len([r for r in rows if r.user_id is not None]) == 4 * 5


def test_last_changed_by_is_the_last_three_distinct_users_latest_first(
    editor_factory, variant_factory
):
    alice, bob, carol, dave = editor_factory.create_batch(4)
    variant = variant_factory()  # created from code, just now: no user
    product = variant.product
    start = timezone.now() + timedelta(minutes=1)
    _save_as(product, dave, start, name="by Dave")
    _save_as(product, alice, start + timedelta(hours=1), name="by Alice")
    _save_as(product, bob, start + timedelta(hours=2), name="by Bob")
    _save_as(variant, carol, start + timedelta(hours=3), stock=1)  # through a variant
    _save_as(product, alice, start + timedelta(hours=4), name="by Alice again")

    editors = product_last_editors(product_id=product.pk)

    assert [(e.username, e.changed_at) for e in editors] == [
        (alice.username, start + timedelta(hours=4)),
        (carol.username, start + timedelta(hours=3)),
        (bob.username, start + timedelta(hours=2)),
    ]


def test_last_changed_by_runs_one_query_whatever_the_history(
    editor_factory, variant_factory, django_assert_num_queries
):
    variant = variant_factory()
    for n, editor in enumerate(editor_factory.create_batch(6)):
        _save_as(variant.product, editor, DAY_1 + timedelta(minutes=n), name=f"v{n}")
        _save_as(variant, editor, DAY_1 + timedelta(minutes=n, seconds=30), stock=n)

    with django_assert_num_queries(1):
        editors = product_last_editors(product_id=variant.product_id)

    assert len(editors) == 3


def test_the_product_page_shows_who_changed_it_last(editor, editor_client, product_factory):
    product = product_factory()
    _save_as(product, editor, timezone.now(), name="Renamed")

    response = editor_client.get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Last changed by" in content
    assert f"{editor.username} (" in content
    assert "system (" in content  # the factory's creation, from code: no user
    # The admin's one way of writing a moment ("6 Dec 2026, 03:35"), as beside it.
    assert re.search(
        rf"{editor.username} \(\d{{1,2}} [A-Z][a-z]{{2}} \d{{4}}, \d\d:\d\d\)", content
    )


def test_last_changed_by_is_not_a_change_list_column():
    # It costs a query per product: on the change page only, never per change-list row.
    from django.contrib import admin

    from catalog.models import Product

    registered = admin.site._registry[Product]
    assert isinstance(registered, ProductAdmin)
    assert "last_changed_by" not in registered.list_display
    assert "last_changed_by" in registered.readonly_fields


def test_editors_do_not_see_the_activity_page(editor_client):
    assert editor_client.get(ACTIVITY_URL).status_code == 403


def test_staff_with_view_activity_see_the_activity_page(
    client, user_factory, editor, product_factory
):
    lead = user_factory(is_staff=True)
    lead.user_permissions.add(Permission.objects.get(codename="view_activity"))
    _save_as(product_factory(), editor, timezone.now(), name="Today's edit")
    client.force_login(lead)

    response = client.get(ACTIVITY_URL)

    assert response.status_code == 200
    assert f"<td>{editor.username}</td>" in response.content.decode()
    assert client.get(reverse("admin:index")).content.decode().count(ACTIVITY_URL) >= 1


@pytest.mark.parametrize("days", ["7", "30", "90", "nonsense", "1000"])
def test_superusers_see_the_activity_page_for_any_period(admin_client, days):
    response = admin_client.get(ACTIVITY_URL, {"days": days})

    assert response.status_code == 200
    assert response.context["days"] in {7, 30, 90}


def test_the_demo_seed_and_its_history_baseline_are_no_ones_activity(editor, product_factory):
    from django.core.management import call_command

    from catalog.demo import catalog_seed

    catalog_seed(products=10)
    call_command("history_baseline")  # the `make run` baseline
    lamp = product_factory()  # created from code too
    _save_as(lamp, editor, timezone.now(), name="Lamp")

    rows = editor_activity(since=timezone.now() - timedelta(days=1))

    assert [(r.username, r.product_saves, r.products_touched) for r in rows] == [
        (editor.username, 1, 1)
    ]


def _import(tmp_path, user, name: str, rows: list[list[str]]) -> None:
    from catalog.imports.services import catalog_import

    header = (
        "product_sku,name,slug,status,category,description,version,"
        "variant_sku,size,colour,price,currency,stock\n"
    )
    path = tmp_path / name
    path.write_text(header + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    report = catalog_import(path=path, user=user)
    assert report.applied, report


def _product_row(sku: str, price: str) -> list[str]:
    return [
        sku,
        f"Name {sku}",
        sku.lower(),
        "draft",
        "",
        "",
        "",
        f"{sku}-M",
        "M",
        "",
        price,
        "EUR",
        "1",
    ]


def test_imports_count_in_their_own_column_not_as_saves(editor, product_factory, tmp_path):
    lamp = product_factory()
    _save_as(lamp, editor, timezone.now(), name="Lamp by hand")  # one save of her own
    _import(
        tmp_path, editor, "new.csv", [_product_row("IMP-1", "5.00"), _product_row("IMP-2", "6.00")]
    )
    _import(tmp_path, editor, "again.csv", [_product_row("IMP-1", "7.00")])

    (today,) = [r for r in editor_activity(since=SINCE) if r.user_id == editor.pk]

    assert (today.product_saves, today.variant_changes) == (1, 0)
    assert (today.imports, today.products_imported) == (2, 2)
    assert today.products_touched == 3  # the lamp and the two imported products


def test_the_activity_page_shows_imports_and_no_longer_says_they_are_left_out(
    client, user_factory, editor, tmp_path
):
    lead = user_factory(is_staff=True)
    lead.user_permissions.add(Permission.objects.get(codename="view_activity"))
    client.force_login(lead)
    _import(tmp_path, editor, "new.csv", [_product_row("IMP-3", "5.00")])

    content = " ".join(client.get(ACTIVITY_URL).content.decode().split())

    assert '<th scope="col">Imports</th>' in content
    assert "<td>1 (1 product)</td>" in content
    assert "imports) are left out" not in content
