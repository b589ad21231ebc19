"""Contracts with django-simple-history (config.upstream: "django-simple-history record
attributes", "django-simple-history record rows", "django-simple-history diff display").

Records are written by simple-history itself, on save and delete, and compared with what
our code sets before them or writes beside them.
"""

from datetime import UTC, datetime

import pytest

from catalog.admin.history import _ChoiceLabels
from catalog.models import Product, Variant

pytestmark = pytest.mark.django_db

#: The columns catalog.imports.writes.history_rows_insert writes besides the tracked fields.
EXTRA = ("history_date", "history_change_reason", "history_type", "history_user_id")


def test_user_reason_and_date_set_on_the_instance_reach_its_record(variant_factory, user_factory):
    variant = variant_factory()
    user = user_factory()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    variant.stock = 3
    variant._history_date = when  # as HistoryAdmin.save_model / save_formset set it
    variant.save()
    assert variant.history.order_by("-history_id").first().history_date == when

    variant._history_user = user  # as catalog.imports.writes sets them before a delete
    variant._change_reason = "import 7"
    pk = variant.pk
    variant.delete()

    record = Variant.history.filter(id=pk).order_by("-history_id").first()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "-",
        user,
        "import 7",
    )


@pytest.mark.parametrize("model", [Product, Variant])
def test_a_history_row_is_the_tracked_fields_and_four_more(model):
    history = model.history.model
    tracked = {f.attname for f in history.tracked_fields}
    excluded = set(history._history_excluded_fields)
    assert tracked == {f.attname for f in model._meta.concrete_fields if f.name not in excluded}
    columns = {f.attname for f in history._meta.concrete_fields}
    # What is left is filled by the database (the auto id) or may be left empty.
    rest = columns - tracked - set(EXTRA)
    assert rest == {"history_id"}
    for name in EXTRA:
        assert name in columns, name


def test_the_context_helper_uses_our_value_and_shortening_hooks(product_factory):
    product = product_factory(status=Product.Status.DRAFT)
    product.status = Product.Status.PUBLISHED
    product.description = "Long " * 60
    product.save()
    new, old = product.history.all()[:2]
    helper = _ChoiceLabels(Product, new)

    context = {row["field"]: row for row in helper.context_for_delta_changes(new.diff_against(old))}

    assert (context["Status"]["old"], context["Status"]["new"]) == ("Draft", "Published")
    assert context["Description"]["new"] == "Long " * 60  # whole, never "Long [..] Long"


def test_tracked_foreign_keys_are_selected_with_the_records(product_factory):
    product_factory()
    records = Product.history.all()._select_related_history_tracked_objs()

    assert records.query.select_related == {"category": {}}
