"""Contract with django-simple-history 3.13: a history row the import writes by hand
(``catalog.imports.writes.history_rows_insert``, or ``history_rows_copy``: the database copies
it from the row just written) equals, column for column, the row simple-history writes itself
on ``save()`` for the same object, user, reason and date.

The import does not use simple-history's public ``bulk_history_create`` because it goes
through Django's ``bulk_create`` and made an import of new products 1.3 to 1.5 times
slower (docs/architecture.md, "Imports"); this test fails when an upgrade changes what a
record holds (a new column, a renamed one, another value), so the hand-written rows are
never silently different from simple-history's.
"""

from datetime import UTC, datetime

import pytest

from catalog.imports import writes
from catalog.models import Product, Variant

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _row(record: object) -> dict[str, object]:
    """A record's every column but its own id."""
    fields = type(record)._meta.concrete_fields  # type: ignore[attr-defined]
    return {f.attname: getattr(record, f.attname) for f in fields if f.attname != "history_id"}


def _saved_and_written(
    obj: Product | Variant, user: object, *, copied: bool = False
) -> tuple[dict, dict]:
    model = type(obj)
    obj._history_user = user  # type: ignore[union-attr]
    obj._change_reason = "Import of catalog.csv"  # type: ignore[union-attr]
    obj._history_date = WHEN  # type: ignore[union-attr]
    obj.save()
    saved = model.history.filter(id=obj.pk).order_by("-history_id").first()
    if copied:
        writes.history_rows_copy(
            model, [obj.pk], kind="~", user=user, reason="Import of catalog.csv", when=WHEN
        )
    else:
        writes.history_rows_insert(
            model, [obj], kind="~", user=user, reason="Import of catalog.csv", when=WHEN
        )
    written = model.history.filter(id=obj.pk).order_by("-history_id").first()
    assert saved is not None and written is not None and saved.pk != written.pk
    return _row(saved), _row(written)


def test_a_product_row_written_by_the_import_equals_one_written_on_save(
    product_factory, category_factory, user_factory
):
    product = product_factory(category=category_factory(), description="Soft.")
    saved, written = _saved_and_written(product, user_factory())

    assert written == saved
    assert (written["history_type"], written["history_date"]) == ("~", WHEN)


def test_a_variant_row_written_by_the_import_equals_one_written_on_save(
    variant_factory, user_factory
):
    saved, written = _saved_and_written(variant_factory(), user_factory())

    assert written == saved
    assert written["history_change_reason"] == "Import of catalog.csv"


def test_without_a_user_both_leave_it_empty(variant_factory):
    saved, written = _saved_and_written(variant_factory(), None)

    assert written == saved and written["history_user_id"] is None


def test_a_copied_product_row_equals_one_written_on_save(
    product_factory, category_factory, user_factory
):
    product = product_factory(category=category_factory(), description="Soft.\n'Quoted'")
    saved, written = _saved_and_written(product, user_factory(), copied=True)

    assert written == saved


def test_a_copied_variant_row_equals_one_written_on_save(variant_factory, user_factory):
    saved, written = _saved_and_written(variant_factory(), user_factory(), copied=True)

    assert written == saved
    assert (written["history_type"], written["history_date"]) == ("~", WHEN)


def test_copied_rows_of_a_new_product_s_variants_are_selected_by_their_product(
    product_factory, variant_factory
):
    product, other = product_factory(), product_factory()
    mine = [variant_factory(product=product) for _ in range(3)]
    variant_factory(product=other)
    before = Variant.history.count()

    writes.history_rows_copy(
        Variant, [product.pk], by="product_id", kind="+", user=None, reason="r", when=WHEN
    )

    copied = Variant.history.order_by("history_id")[before:]
    assert [r.id for r in copied] == [v.pk for v in mine]
    assert {(r.history_type, r.history_change_reason) for r in copied} == {("+", "r")}
