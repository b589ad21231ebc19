"""The merge itself (catalog.concurrency), without a request: base, theirs and mine."""

from decimal import Decimal

from django.db import models

from catalog.concurrency import (
    DELETE,
    Conflict,
    EditState,
    edit_choices_apply,
    edit_compare_unknown_base,
    edit_merge,
    value_text,
)
from catalog.models import Product, Variant

BASE = EditState(
    fields={"name": "Tee", "description": "Soft."},
    rows={"1": {"price": "10.00", "stock": "5"}, "2": {"price": "20.00", "stock": "7"}},
)


def _state(fields=None, rows=None) -> EditState:
    return EditState(
        fields=BASE.fields | (fields or {}),
        rows={pk: BASE.rows[pk] | (rows or {}).get(pk, {}) for pk in BASE.rows},
    )


def test_fields_changed_on_one_side_only_take_that_sides_value():
    theirs = _state({"name": "Tee Pro"}, {"1": {"price": "12.00"}})
    mine = _state({"description": "Very soft."}, {"2": {"stock": "1"}})

    result = edit_merge(base=BASE, theirs=theirs, mine=mine)

    assert result.clean
    assert result.fields == {"name": "Tee Pro", "description": "Very soft."}
    assert result.rows == {
        "1": {"price": "12.00", "stock": "5"},
        "2": {"price": "20.00", "stock": "1"},
    }
    assert result.dropped == []  # row 2 changed by this editor, but still there


def test_both_changing_a_field_to_the_same_value_is_no_conflict():
    both = _state({"name": "Tee Pro"})

    assert edit_merge(base=BASE, theirs=both, mine=both).clean


def test_both_changing_a_field_differently_is_a_conflict_keeping_my_input():
    result = edit_merge(
        base=BASE,
        theirs=_state(rows={"1": {"price": "12.00"}}),
        mine=_state(rows={"1": {"price": "9.00"}}),
    )

    assert [(c.key, c.theirs, c.mine) for c in result.conflicts] == [
        ("row:1:price", "12.00", "9.00")
    ]
    assert result.rows["1"]["price"] == "9.00"


def test_deleting_a_row_the_other_side_changed_is_a_conflict():
    mine = _state()
    mine.rows["2"] = mine.rows["2"] | {"DELETE": "on"}

    result = edit_merge(base=BASE, theirs=_state(rows={"2": {"stock": "0"}}), mine=mine)

    assert result.conflicts == [Conflict("row:2:DELETE", "2", DELETE, "changed", "delete")]
    assert result.rows["2"] == {"price": "20.00", "stock": "0", DELETE: "on"}


def test_deleting_a_row_nobody_else_changed_posts_the_deletion():
    mine = _state()
    mine.rows["2"] = mine.rows["2"] | {DELETE: "on"}

    result = edit_merge(base=BASE, theirs=_state({"name": "Tee Pro"}), mine=mine)

    assert result.clean
    assert result.rows["2"] == {"price": "20.00", "stock": "7", DELETE: "on"}


def test_rows_added_since_or_not_posted_stay_as_saved_and_the_others_are_merged():
    theirs = EditState(
        fields=BASE.fields,
        rows={"3": {"price": "5.00", "stock": "1"}} | _state(rows={"1": {"stock": "4"}}).rows,
    )
    mine = EditState(fields=BASE.fields, rows={"2": BASE.rows["2"] | {"stock": "1"}})

    result = edit_merge(base=BASE, theirs=theirs, mine=mine)

    assert result.clean
    assert result.rows == {
        "3": {"price": "5.00", "stock": "1"},
        "1": {"price": "10.00", "stock": "4"},
        "2": {"price": "20.00", "stock": "1"},
    }


def test_a_field_a_state_lacks_counts_as_empty():
    base = EditState(fields={"note": ""}, rows={"1": {"price": "10.00", "note": ""}})
    theirs = EditState(fields={}, rows={"1": {"price": "10.00"}})
    mine = EditState(
        fields={"note": "New.", "subtitle": "Mine only."},
        rows={"1": {"price": "10.00", "note": "", DELETE: "on"}},
    )

    result = edit_merge(base=base, theirs=theirs, mine=mine)

    assert result.clean  # empty before, absent now: the other side did not change it
    assert result.fields == {"note": "New.", "subtitle": "Mine only."}
    assert result.rows == {"1": {"price": "10.00", "note": "", DELETE: "on"}}


def test_a_state_read_without_fields_or_rows_is_empty():
    assert EditState.from_json({}) == EditState(fields={}, rows={})
    state = _state({"name": "Tee Pro"})
    assert EditState.from_json(state.as_json()) == state


def test_rows_added_or_deleted_by_the_other_side_stay_as_they_left_them():
    theirs = EditState(
        fields=BASE.fields, rows={"1": BASE.rows["1"], "3": {"price": "5.00", "stock": "1"}}
    )
    mine = _state(rows={"2": {"stock": "0"}})

    result = edit_merge(base=BASE, theirs=theirs, mine=mine)

    assert set(result.rows) == {"1", "3"}
    assert result.dropped == ["2"]  # mine changed it: the editor is told


def test_a_choice_of_theirs_posts_the_saved_value_and_a_missing_choice_is_reported():
    base = _state({"name": "Alice's"})
    mine = _state({"name": "Bob's", "description": "Bob's text."})

    missing = edit_choices_apply(
        mine=mine, base=base, choices={"name": "theirs"}, pending=["name", "description"]
    )

    assert mine.fields["name"] == "Alice's"
    assert missing == ["description"]


def test_values_compare_as_the_form_means_them():
    price = Variant._meta.get_field("price")
    stock = Variant._meta.get_field("stock")
    description = Product._meta.get_field("description")

    assert value_text(price, "12.5") == value_text(price, Decimal("12.50")) == "12.50"
    assert value_text(stock, "007") == "7"
    assert value_text(description, "One\r\nTwo ") == value_text(description, "One\nTwo")
    assert value_text(price, "abc") == "abc"  # left for the form to reject
    assert value_text(price, None) == ""


def test_a_decimal_without_decimal_places_compares_as_a_whole_number():
    whole = models.DecimalField(max_digits=5, decimal_places=0)

    assert value_text(whole, "12.4") == value_text(whole, "12") == "12"


# ---- an unknown base (no usable version token) ----------------------------------------


def test_with_an_unknown_base_every_differing_value_is_a_conflict():
    theirs = _state({"name": "Tee Pro"}, {"1": {"price": "12.00"}})
    mine = _state({"description": "Very soft."}, {"2": {"stock": "1"}})

    result = edit_compare_unknown_base(theirs=theirs, mine=mine)

    assert [(c.key, c.theirs, c.mine) for c in result.conflicts] == [
        ("name", "Tee Pro", "Tee"),
        ("description", "Soft.", "Very soft."),
        ("row:1:price", "12.00", "10.00"),
        ("row:2:stock", "7", "1"),
    ]


def test_with_an_unknown_base_the_current_values_are_no_conflict():
    theirs = _state({"name": "Tee Pro"})

    result = edit_compare_unknown_base(theirs=theirs, mine=_state({"name": "Tee Pro"}))

    assert result.clean
    assert (result.fields, result.rows) == (theirs.fields, theirs.rows)


def test_with_an_unknown_base_rows_this_object_lacks_are_dropped_and_unposted_rows_kept():
    theirs = EditState(fields=BASE.fields, rows={"1": BASE.rows["1"], "3": {"price": "5.00"}})
    mine = EditState(fields=BASE.fields, rows={"1": BASE.rows["1"], "2": BASE.rows["2"]})

    result = edit_compare_unknown_base(theirs=theirs, mine=mine)

    assert result.clean
    assert result.rows == {"1": BASE.rows["1"], "3": {"price": "5.00"}}
    assert result.dropped == ["2"]


def test_with_an_unknown_base_a_deleted_row_is_a_conflict_only_if_it_differs():
    theirs = _state(rows={"2": {"stock": "0"}})
    deleting_as_shown = _state(rows={"1": {DELETE: "on"}, "2": {DELETE: "on"}})

    result = edit_compare_unknown_base(theirs=theirs, mine=deleting_as_shown)

    assert [c.key for c in result.conflicts] == ["row:2:DELETE", "row:2:stock"]
    assert result.rows["1"][DELETE] == "on"


def test_with_an_unknown_base_an_empty_value_the_object_lacks_is_no_conflict():
    theirs = EditState(fields={"name": "Tee"}, rows={"1": {"price": "10.00"}})
    mine = EditState(fields={"name": "Tee", "note": ""}, rows={"1": {"price": "10.00", "note": ""}})

    result = edit_compare_unknown_base(theirs=theirs, mine=mine)

    assert result.clean
    assert result.fields == {"name": "Tee", "note": ""}


def test_with_an_unknown_base_a_deleted_row_that_differs_is_a_conflict_after_unposted_rows():
    theirs = _state(rows={"2": {"stock": "0"}})
    mine = EditState(fields=BASE.fields, rows={"2": BASE.rows["2"] | {DELETE: "on"}})

    result = edit_compare_unknown_base(theirs=theirs, mine=mine)

    assert result.conflicts == [
        Conflict("row:2:DELETE", "2", DELETE, "kept", "delete"),
        Conflict("row:2:stock", "2", "stock", "0", "7"),
    ]
    assert result.rows == {"1": BASE.rows["1"], "2": BASE.rows["2"] | {DELETE: "on"}}
