"""The merge (catalog.concurrency) for any base, theirs and mine, not just the examples.

States are built as the admin builds them (``catalog.edit_targets`` and
``catalog.admin.edit_form``): every product field of the change form and every variant
row of its inline, each value the normalised text ``value_text`` makes of it. From one
base, the other save (*theirs*) and this editor (*mine*) each change some fields to values
drawn from small pools, so both sides often pick the same value; theirs may also add
and delete rows, mine may delete rows (ticking "Delete") or not post one. New rows this
editor adds are not part of the merge (the caller posts them as they are).

The expected result is written out plainly below (``_expected``): field by field, mine
if I changed it, else theirs; a conflict exactly where both changed it to different values.
"""

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from catalog.admin.product import VARIANT_FIELDS
from catalog.concurrency import (
    DELETE,
    EditState,
    MergeResult,
    Values,
    edit_choices_apply,
    edit_compare_unknown_base,
    edit_merge,
    value_text,
)
from catalog.models import Product, Variant

#: The product change form's fields (ProductAdmin, less its read-only ones).
PRODUCT_FIELDS = ("sku", "name", "slug", "description", "category", "status")


def _posted(model, name: str, raws: list[object]) -> st.SearchStrategy[str]:
    """A field's values as the admin compares them: typed several ways, normalised."""
    model_field = model._meta.get_field(name)
    return st.sampled_from(raws).map(lambda raw: value_text(model_field, raw))


_WORDS = st.text(st.sampled_from("ab \n\r"), max_size=4)

PRODUCT_VALUES: dict[str, st.SearchStrategy[str]] = {
    "sku": _posted(Product, "sku", ["TEE-001", "TEE-002", " TEE-001 "]),
    "name": _posted(Product, "name", ["Tee", "Tee Pro", "Wool hat", "Tëe ☃"]),
    "slug": _posted(Product, "slug", ["tee", "tee-pro", "wool-hat"]),
    "description": st.one_of(
        _posted(Product, "description", ["", "Soft.", "Soft.\r\n", "One\r\nTwo", "One\nTwo"]),
        _WORDS.map(lambda raw: value_text(Product._meta.get_field("description"), raw)),
    ),
    "category": _posted(Product, "category", ["", None, "1", "01", 2, "12"]),
    "status": _posted(Product, "status", ["draft", "published"]),
}
ROW_VALUES: dict[str, st.SearchStrategy[str]] = {
    "sku": _posted(Variant, "sku", ["V-1", "V-2", "V-3"]),
    "size": _posted(Variant, "size", ["", "S", "M", " M", "XL"]),
    "colour": _posted(Variant, "colour", ["", "black", "red"]),
    "price": _posted(Variant, "price", ["0", "9.99", "10", "10.00", Decimal("12.5"), "12.50"]),
    "currency": _posted(Variant, "currency", ["EUR", "USD", "GBP"]),
    "stock": _posted(Variant, "stock", ["0", "1", "007", 7, "120"]),
}
assert tuple(ROW_VALUES) == VARIANT_FIELDS


@st.composite
def _values(draw, pools: dict[str, st.SearchStrategy[str]]) -> Values:
    return {name: draw(pool) for name, pool in pools.items()}


@st.composite
def _edited(draw, values: Values, pools: dict[str, st.SearchStrategy[str]]) -> Values:
    """``values`` with some fields given a new value (which may be the same one)."""
    return {
        name: draw(pools[name]) if draw(st.booleans()) else value for name, value in values.items()
    }


@dataclass
class Edits:
    base: EditState
    theirs: EditState
    mine: EditState


#: Variant ids: those of the base, and those of rows the other side added since.
_BASE_PKS = st.lists(st.integers(1, 40).map(str), unique=True, max_size=4)


@st.composite
def edits(draw) -> Edits:
    """A base state, the other save's state and this editor's posted state."""
    base = EditState(
        fields=draw(_values(PRODUCT_VALUES)),
        rows={pk: draw(_values(ROW_VALUES)) for pk in draw(_BASE_PKS)},
    )
    their_rows = {
        pk: draw(_edited(row, ROW_VALUES))
        for pk, row in base.rows.items()
        if draw(st.booleans())  # or deleted since
    }
    for pk in draw(st.lists(st.integers(41, 60).map(str), unique=True, max_size=2)):
        their_rows[pk] = draw(_values(ROW_VALUES))  # added since
    theirs = EditState(fields=draw(_edited(base.fields, PRODUCT_VALUES)), rows=their_rows)
    my_rows: dict[str, Values] = {}
    for pk, row in base.rows.items():
        posted = draw(st.sampled_from(["kept", "kept", "deleted", "not posted"]))
        if posted == "not posted":  # a script posting half a form
            continue
        my_rows[pk] = draw(_edited(row, ROW_VALUES))
        if posted == "deleted":
            my_rows[pk][DELETE] = "on"
    mine = EditState(fields=draw(_edited(base.fields, PRODUCT_VALUES)), rows=my_rows)
    return Edits(base, theirs, mine)


def _merge_field(base: str, theirs: str, mine: str) -> tuple[str, bool]:
    """One field: (the merged value, whether it is a conflict)."""
    mine_changed, theirs_changed = mine != base, theirs != base
    return (mine if mine_changed else theirs), (mine_changed and theirs_changed and mine != theirs)


def _expected(e: Edits) -> tuple[Values, dict[str, Values], set[str], list[str]]:
    """The merge written out plainly: fields, rows, conflict keys, dropped rows."""
    fields: Values = {}
    conflicts: set[str] = set()
    for name in PRODUCT_FIELDS:
        fields[name], conflict = _merge_field(
            e.base.fields[name], e.theirs.fields[name], e.mine.fields[name]
        )
        if conflict:
            conflicts.add(name)
    rows: dict[str, Values] = {}
    for pk, their_row in e.theirs.rows.items():
        if pk not in e.base.rows or pk not in e.mine.rows:
            rows[pk] = their_row  # added since, or not posted: as the other side left it
            continue
        base_row, my_row = e.base.rows[pk], e.mine.rows[pk]
        rows[pk] = {}
        for name in VARIANT_FIELDS:
            rows[pk][name], conflict = _merge_field(base_row[name], their_row[name], my_row[name])
            if conflict:
                conflicts.add(f"row:{pk}:{name}")
        if my_row.get(DELETE) == "on":
            rows[pk][DELETE] = "on"
            if their_row != base_row:  # I deleted what they changed
                conflicts.add(f"row:{pk}:{DELETE}")
    dropped = [
        pk
        for pk, my_row in e.mine.rows.items()
        if pk in e.base.rows
        and pk not in e.theirs.rows
        and any(my_row[name] != e.base.rows[pk][name] for name in VARIANT_FIELDS)
    ]
    return fields, rows, conflicts, dropped


def _merge(e: Edits) -> MergeResult:
    return edit_merge(base=e.base, theirs=e.theirs, mine=e.mine)


# ---- edit_merge ------------------------------------------------------------------------


@given(edits())
def test_a_field_changed_on_one_side_only_is_never_lost(e):
    result = _merge(e)

    for name in PRODUCT_FIELDS:
        base, theirs, mine = e.base.fields[name], e.theirs.fields[name], e.mine.fields[name]
        if mine != base and theirs == base:
            assert result.fields[name] == mine
        if theirs != base and mine == base:
            assert result.fields[name] == theirs
    for pk, row in result.rows.items():
        if pk in e.base.rows and pk in e.mine.rows:
            for name in VARIANT_FIELDS:
                base, theirs = e.base.rows[pk][name], e.theirs.rows[pk][name]
                mine = e.mine.rows[pk][name]
                if mine != base and theirs == base:
                    assert row[name] == mine
                if theirs != base and mine == base:
                    assert row[name] == theirs


@given(edits())
def test_a_conflict_arises_exactly_when_both_sides_changed_a_field_to_different_values(e):
    result = _merge(e)

    assert {c.key for c in result.conflicts} == _expected(e)[2]
    assert len(result.conflicts) == len({c.key for c in result.conflicts})
    for c in result.conflicts:
        if c.name == DELETE:
            assert (c.row, c.theirs, c.mine) == (c.key.split(":")[1], "changed", "delete")
        elif c.row is None:
            assert (c.theirs, c.mine) == (e.theirs.fields[c.name], e.mine.fields[c.name])
        else:
            assert c.theirs == e.theirs.rows[c.row][c.name]
            assert c.mine == e.mine.rows[c.row][c.name]


@given(edits())
def test_the_merged_result_equals_applying_both_changes(e):
    fields, rows, _, dropped = _expected(e)

    result = _merge(e)

    assert result.fields == fields
    assert result.rows == rows
    assert result.dropped == dropped


@given(edits())
def test_rows_the_other_side_added_or_deleted_stay_as_they_left_them(e):
    result = _merge(e)

    assert list(result.rows) == list(e.theirs.rows)
    for pk in set(e.theirs.rows) - set(e.base.rows):
        assert result.rows[pk] == e.theirs.rows[pk]


@given(edits())
def test_with_nobody_saving_since_the_form_is_saved_as_posted(e):
    result = edit_merge(base=e.base, theirs=e.base, mine=e.mine)

    assert result.clean
    assert result.fields == e.mine.fields
    assert result.rows == {pk: e.mine.rows.get(pk, row) for pk, row in e.base.rows.items()}


@given(edits())
def test_a_form_posted_unchanged_takes_the_other_saves_state(e):
    unchanged = EditState(fields=dict(e.base.fields), rows=dict(e.base.rows))

    result = edit_merge(base=e.base, theirs=e.theirs, mine=unchanged)

    assert result.clean
    assert (result.fields, result.rows, result.dropped) == (e.theirs.fields, e.theirs.rows, [])


# ---- the second round: the editor's choices --------------------------------------------


@st.composite
def edits_and_choices(draw) -> tuple[Edits, dict[str, str]]:
    e = draw(edits())
    keys = [c.key for c in _merge(e).conflicts]
    choices = {
        key: draw(st.sampled_from(["mine", "theirs", "", "bogus"]))
        for key in keys
        if draw(st.integers(0, 9))  # now and then a choice left out altogether
    }
    return e, choices


@given(edits_and_choices())
def test_the_editors_choices_post_the_chosen_value_and_keep_every_merged_one(case):
    e, choices = case
    result = _merge(e)
    pending = [c.key for c in result.conflicts]
    # The form shown again holds the merged state; its token's base is now theirs.
    shown = EditState(
        fields=dict(result.fields), rows={pk: dict(row) for pk, row in result.rows.items()}
    )

    missing = edit_choices_apply(mine=shown, base=e.theirs, choices=choices, pending=pending)

    assert missing == [k for k in pending if choices.get(k) not in ("mine", "theirs")]
    fields, rows, _, _ = _expected(e)
    for key in pending:
        if choices.get(key) != "theirs":
            continue
        if key.startswith("row:"):
            _, pk, name = key.split(":", 2)
            if name == DELETE:
                rows[pk].pop(DELETE)
            else:
                rows[pk][name] = e.theirs.rows[pk][name]
        else:
            fields[key] = e.theirs.fields[key]
    assert shown.fields == fields
    assert shown.rows == rows
    if not missing:  # and nobody saved since: it is posted as it stands, no conflict left
        assert edit_merge(base=e.theirs, theirs=e.theirs, mine=shown).clean


# ---- an unknown base -------------------------------------------------------------------


@given(edits())
def test_with_an_unknown_base_exactly_the_values_differing_from_the_saved_ones_conflict(e):
    result = edit_compare_unknown_base(theirs=e.theirs, mine=e.mine)

    expected = {n for n in PRODUCT_FIELDS if e.mine.fields[n] != e.theirs.fields[n]}
    for pk, my_row in e.mine.rows.items():
        their_row = e.theirs.rows.get(pk)
        if their_row is None:
            continue
        differing = {n for n in VARIANT_FIELDS if my_row[n] != their_row[n]}
        expected |= {f"row:{pk}:{n}" for n in differing}
        if my_row.get(DELETE) == "on" and differing:
            expected.add(f"row:{pk}:{DELETE}")
    assert {c.key for c in result.conflicts} == expected
    assert result.fields == e.mine.fields
    assert list(result.rows) == list(e.theirs.rows)
    for pk, row in result.rows.items():
        assert row == e.mine.rows.get(pk, e.theirs.rows[pk])
    assert result.dropped == [pk for pk in e.mine.rows if pk not in e.theirs.rows]


@given(edits())
def test_with_an_unknown_base_posting_the_saved_values_is_no_conflict(e):
    current = EditState(
        fields=dict(e.theirs.fields), rows={pk: dict(r) for pk, r in e.theirs.rows.items()}
    )

    result = edit_compare_unknown_base(theirs=e.theirs, mine=current)

    assert result.clean
    assert (result.fields, result.rows, result.dropped) == (e.theirs.fields, e.theirs.rows, [])


# ---- the values compared ---------------------------------------------------------------

_ALL_FIELDS = [Product._meta.get_field(n) for n in PRODUCT_FIELDS] + [
    Variant._meta.get_field(n) for n in VARIANT_FIELDS
]


@given(st.sampled_from(_ALL_FIELDS), st.one_of(st.text(max_size=12), st.integers(), st.none()))
def test_a_normalised_value_stays_as_it_is(model_field, raw):
    once = value_text(model_field, raw)

    assert value_text(model_field, once) == once


@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_a_price_typed_any_way_compares_equal(price):
    model_field = Variant._meta.get_field("price")
    typed = [price, str(price), f" {price.normalize():f} ", f"{price}0"]

    assert {value_text(model_field, raw) for raw in typed} == {f"{price:.2f}"}
