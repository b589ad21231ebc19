"""The editor's choices on a conflict shown earlier (catalog.concurrency.edit_choices_apply).

When the conflict was shown, the form's base became the other save's state: "theirs"
posts the base value, "mine" keeps what the editor typed, and a conflict without a
choice is reported back, whatever order the pending keys come in.
"""

from catalog.concurrency import DELETE, EditState, edit_choices_apply

#: The other save's state, the form's base once the conflict was shown.
THEIRS = EditState(
    fields={"name": "Alice's", "description": "Alice's text."},
    rows={"1": {"price": "12.00", "stock": "5"}, "2": {"price": "20.00", "stock": "0"}},
)


def _mine() -> EditState:
    return EditState(
        fields={"name": "Bob's", "description": "Bob's text."},
        rows={
            "1": {"price": "9.00", "stock": "5"},
            "2": {"price": "20.00", "stock": "7", DELETE: "on"},
        },
    )


def test_taking_theirs_for_a_rows_field_posts_the_saved_value():
    mine = _mine()

    missing = edit_choices_apply(
        mine=mine, base=THEIRS, choices={"row:1:price": "theirs"}, pending=["row:1:price"]
    )

    assert missing == []
    assert mine.rows["1"] == {"price": "12.00", "stock": "5"}
    assert mine.rows["2"] == _mine().rows["2"]


def test_taking_theirs_for_a_deletion_keeps_the_row():
    mine = _mine()

    edit_choices_apply(
        mine=mine, base=THEIRS, choices={"row:2:DELETE": "theirs"}, pending=["row:2:DELETE"]
    )

    assert mine.rows["2"] == {"price": "20.00", "stock": "7"}


def test_taking_theirs_for_a_deletion_already_unticked_changes_nothing():
    mine = _mine()
    del mine.rows["2"][DELETE]

    edit_choices_apply(
        mine=mine, base=THEIRS, choices={"row:2:DELETE": "theirs"}, pending=["row:2:DELETE"]
    )

    assert mine.rows["2"] == {"price": "20.00", "stock": "7"}


def test_keeping_mine_posts_what_the_editor_typed():
    mine = _mine()

    missing = edit_choices_apply(
        mine=mine,
        base=THEIRS,
        choices={"name": "mine", "row:1:price": "mine"},
        pending=["name", "row:1:price"],
    )

    assert missing == []
    assert (mine.fields, mine.rows) == (_mine().fields, _mine().rows)


def test_every_pending_conflict_is_handled_whatever_comes_before_it():
    mine = _mine()

    missing = edit_choices_apply(
        mine=mine,
        base=THEIRS,
        choices={"name": "mine", "row:1:price": "theirs", "description": "theirs"},
        pending=["row:3:price", "stock", "name", "row:1:price", "description"],
    )

    assert missing == ["row:3:price", "stock"]
    assert mine.fields == {"name": "Bob's", "description": "Alice's text."}
    assert mine.rows["1"]["price"] == "12.00"


def test_a_choice_for_a_row_the_form_no_longer_has_changes_nothing():
    mine = _mine()
    mine.rows["3"] = {"price": "1.00"}  # posted, but not in the base (added since)
    expected = {pk: dict(row) for pk, row in mine.rows.items()}

    missing = edit_choices_apply(
        mine=mine,
        base=THEIRS,
        choices={"row:4:price": "theirs", "row:3:price": "theirs", "name": "theirs"},
        pending=["row:4:price", "row:3:price", "name"],
    )

    assert missing == []
    assert mine.rows == expected
    assert mine.fields["name"] == "Alice's"  # the choices after it still apply


def test_an_unknown_choice_counts_as_no_choice():
    mine = _mine()

    missing = edit_choices_apply(mine=mine, base=THEIRS, choices={"name": "both"}, pending=["name"])

    assert missing == ["name"]
    assert mine.fields["name"] == "Bob's"
