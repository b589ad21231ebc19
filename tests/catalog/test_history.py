"""The History page's grouping (catalog.history): bursts are shown, never stored."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.history import RecordKey, history_bursts, history_rows
from catalog.models import Product

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE, BOB = 1, 2


def _key(n: int, minute: float, user: int | None = ALICE, kind: str = "~") -> RecordKey:
    return RecordKey(n, T0 + timedelta(minutes=minute), user, kind)


def _ids(bursts: list[list[RecordKey]]) -> list[list[int]]:
    return [[key.history_id for key in burst] for burst in bursts]


def test_consecutive_changes_by_one_user_within_the_window_are_one_burst():
    records = [_key(1, 0, kind="+"), _key(2, 1), _key(3, 5), _key(4, 14)]

    assert _ids(history_bursts(records, window_seconds=600)) == [[1], [2, 3, 4]]


def test_the_window_slides_from_save_to_save():
    # Five saves 8 minutes apart: each within 10 minutes of the one before it.
    records = [_key(n, 8 * n) for n in range(5)]

    assert _ids(history_bursts(records, window_seconds=600)) == [[0, 1, 2, 3, 4]]


def test_a_gap_longer_than_the_window_starts_a_new_burst():
    records = [_key(1, 0), _key(2, 10), _key(3, 20.1)]

    assert _ids(history_bursts(records, window_seconds=600)) == [[1, 2], [3]]


def test_another_users_save_in_between_ends_the_burst():
    records = [_key(1, 0), _key(2, 1, user=BOB), _key(3, 2), _key(4, 3)]

    assert _ids(history_bursts(records, window_seconds=600)) == [[1], [2], [3, 4]]


def test_creations_and_deletions_are_rows_of_their_own():
    records = [_key(1, 0, kind="+"), _key(2, 1), _key(3, 2, kind="-")]

    assert _ids(history_bursts(records, window_seconds=600)) == [[1], [2], [3]]


def test_changes_from_code_group_like_one_user():
    records = [_key(1, 0, user=None), _key(2, 1, user=None), _key(3, 2, user=ALICE)]

    assert _ids(history_bursts(records, window_seconds=600)) == [[1, 2], [3]]


def test_a_zero_window_shows_every_save_as_its_own_row():
    records = [_key(n, n) for n in range(3)]

    assert _ids(history_bursts(records, window_seconds=0)) == [[0], [1], [2]]


def _save_as(obj, user, when, **changes: object) -> None:
    for name, value in changes.items():
        setattr(obj, name, value)
    obj._history_user = user
    obj._history_date = when
    obj.save()


@pytest.mark.django_db
def test_a_burst_row_has_the_whole_change_and_each_save_with_its_own(editor, product_factory):
    product = product_factory(name="Lamp", status="draft")
    start = timezone.now()
    _save_as(product, editor, start, name="Desk Lamp")
    _save_as(product, editor, start + timedelta(minutes=3), status="published")
    _save_as(product, editor, start + timedelta(minutes=6), name="Desk Lamp XL")

    page, rows = history_rows(
        records=Product.history.filter(id=product.pk),
        window_seconds=600,
        page_number=1,
        per_page=100,
        product_id=product.pk,
    )

    assert product.history.count() == 4  # every save kept
    assert [len(row.saves) for row in rows] == [3, 1]  # the burst, then the creation
    burst = rows[0]
    assert {(c.field, c.old, c.new) for c in burst.changes} == {
        ("name", "Lamp", "Desk Lamp XL"),
        ("status", "draft", "published"),
    }
    assert [[(c.field, c.old, c.new) for c in s.changes] for s in burst.saves] == [
        [("name", "Desk Lamp", "Desk Lamp XL")],
        [("status", "draft", "published")],
        [("name", "Lamp", "Desk Lamp")],
    ]
    assert burst.record.name == "Desk Lamp XL"
    assert page.paginator.count == 2


@pytest.mark.django_db
def test_rows_are_paginated_as_bursts(editor_factory, product_factory):
    alice, bob = editor_factory(), editor_factory()
    product = product_factory()
    start = timezone.now()
    for n in range(6):  # alternating editors: six rows after the creation
        _save_as(product, alice if n % 2 else bob, start + timedelta(seconds=n), name=f"v{n}")

    page, rows = history_rows(
        records=Product.history.filter(id=product.pk),
        window_seconds=600,
        page_number=2,
        per_page=3,
    )

    assert page.paginator.count == 7
    assert [row.record.name for row in rows] == ["v2", "v1", "v0"]
    # The oldest row of the page still diffs against the record before it (page 3's).
    assert [(c.old, c.new) for c in rows[-1].changes] == [(product.history.earliest().name, "v0")]


@pytest.mark.django_db
def test_a_variant_only_save_carries_its_variant_changes(editor, variant_factory):
    variant = variant_factory(sku="SKU-1", price=Decimal("10.00"))
    product = variant.product
    when = timezone.now()
    _save_as(product, editor, when)  # the product form saves the product unchanged...
    _save_as(variant, editor, when, price=Decimal("12.00"))  # ...and the inline, same stamp

    _, rows = history_rows(
        records=Product.history.filter(id=product.pk),
        window_seconds=600,
        page_number=1,
        per_page=100,
        product_id=product.pk,
    )

    newest = rows[0]
    assert newest.changes == []
    assert [
        (v.sku, v.kind, [(c.field, c.old, c.new) for c in v.changes]) for v in newest.variants
    ] == [("SKU-1", "changed", [("price", Decimal("10.00"), Decimal("12.00"))])]
