"""Optimistic concurrency for the catalog's change forms: merge, or show the conflict.

A change form carries the state it was loaded from (its *base*: the version and every
value it showed, signed, in a hidden field). When it is posted against a newer version,
three states meet, all as the strings a form posts:

- *base*: what this editor saw when they opened the form;
- *theirs*: what the database holds now (the other saves since);
- *mine*: what this editor posted.

Field by field (and, for inline rows, row by row and field by field): a field only one
side changed takes that side's value; a field both changed to different values is a
conflict, shown to the editor with both values and an explicit choice, nothing saved.
Rows the other side added or deleted stay as they left them.

When the base is unknown (the form's token is missing, tampered with or another
object's), there is nothing to tell "I changed it" from "it changed since": every posted
value that differs from *theirs* is a conflict (``edit_compare_unknown_base``).

Why merge rather than reject (django-concurrency) or warn (Wagtail): most overlapping
edits touch different fields (one editor fixes a price, another a description), and
asking them to redo their work for that is how editors learn to ignore the warning.

This module is pure: no database, no request. ``catalog.admin.concurrency`` reads the
states and rewrites the POST with the result.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import models

#: Field name -> the string a form posts for it.
Values = dict[str, str]

#: The pseudo-field of an inline row that says "this editor deleted the row".
DELETE = "DELETE"


@dataclass
class EditState:
    """One side of the merge: the object's fields and its existing inline rows by pk."""

    fields: Values
    rows: dict[str, Values] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"fields": self.fields, "rows": self.rows}

    @classmethod
    def from_json(cls, data: dict) -> "EditState":
        return cls(fields=dict(data.get("fields", {})), rows=dict(data.get("rows", {})))


@dataclass(frozen=True)
class Conflict:
    """A field both sides changed to different values. ``key`` names it in the POST."""

    key: str
    row: str | None
    name: str
    theirs: str
    mine: str


@dataclass
class MergeResult:
    """What to post instead of the editor's form: their state with this editor's changes."""

    fields: Values
    rows: dict[str, Values]
    conflicts: list[Conflict]
    #: Rows the other side deleted although this editor had changed them (pk list).
    dropped: list[str]

    @property
    def clean(self) -> bool:
        return not self.conflicts


def conflict_key(name: str, row: str | None = None) -> str:
    """How a conflict is named in the form (``_occ_choice:<key>``) and in the token."""
    return name if row is None else f"row:{row}:{name}"


def value_text(model_field: models.Field, value: object) -> str:
    """A value as the form posts it, normalised so equal values compare equal.

    "12.5" and "12.50" are one price; "007" and "7" one stock; surrounding spaces are
    stripped as the form strips them, and CRLF line breaks are LF. Unparsable input
    stays as typed: the form's own validation reports it.
    """
    if value is None:
        return ""
    # Browsers post a textarea's line breaks as CRLF; code and imports write LF.
    text = str(value).replace("\r\n", "\n").strip()
    if isinstance(model_field, models.DecimalField):
        try:
            quantum = Decimal(1).scaleb(-(model_field.decimal_places or 0))
            return str(Decimal(text).quantize(quantum))
        except (InvalidOperation, ValueError):
            return text
    if isinstance(model_field, models.IntegerField | models.ForeignKey):
        try:
            return str(int(text))
        except ValueError:
            return text
    return text


def _merge_values(
    base: Values, theirs: Values, mine: Values, row: str | None, conflicts: list[Conflict]
) -> Values:
    merged: Values = {}
    for name, my_value in mine.items():
        base_value, their_value = base.get(name, ""), theirs.get(name, "")
        if name not in base or my_value == base_value:
            merged[name] = their_value if name in theirs else my_value
        elif their_value in (base_value, my_value):
            merged[name] = my_value
        else:
            conflicts.append(Conflict(conflict_key(name, row), row, name, their_value, my_value))
            merged[name] = my_value  # the editor's input is kept in the form shown again
    return merged


def _row_changed(base: Values, other: Values) -> bool:
    return any(other.get(name, "") != value for name, value in base.items())


def edit_merge(*, base: EditState, theirs: EditState, mine: EditState) -> MergeResult:
    """Apply this editor's changes (mine vs base) on top of theirs, or list the conflicts.

    ``mine.rows`` are the existing rows the editor posted; a row they deleted carries
    ``DELETE: "on"``. New rows the editor added are not part of the merge: the caller
    posts them as they are. Rows in ``theirs`` but not in ``base`` (added since) are kept
    as they are; rows in ``base`` but not in ``theirs`` (deleted since) stay deleted.
    """
    conflicts: list[Conflict] = []
    fields = _merge_values(base.fields, theirs.fields, mine.fields, None, conflicts)
    rows: dict[str, Values] = {}
    dropped: list[str] = []
    for pk, their_row in theirs.rows.items():
        my_row = mine.rows.get(pk)
        base_row = base.rows.get(pk)
        if my_row is None or base_row is None:  # added since, or not posted: as they are
            rows[pk] = dict(their_row)
            continue
        deleting = my_row.get(DELETE) == "on"
        values = {k: v for k, v in my_row.items() if k != DELETE}
        if deleting and _row_changed(base_row, their_row):
            conflicts.append(Conflict(conflict_key(DELETE, pk), pk, DELETE, "changed", "delete"))
        merged = _merge_values(base_row, their_row, values, pk, conflicts)
        rows[pk] = merged | ({DELETE: "on"} if deleting else {})
    for pk, my_row in mine.rows.items():
        if pk in base.rows and pk not in theirs.rows and _row_changed(base.rows[pk], my_row):
            dropped.append(pk)
    return MergeResult(fields=fields, rows=rows, conflicts=conflicts, dropped=dropped)


def edit_compare_unknown_base(*, theirs: EditState, mine: EditState) -> MergeResult:
    """When the editor's base is unknown (no usable token): every posted value that
    differs from the stored one is a conflict, as if both sides had changed it.

    Without a base there is no telling "I changed this" from "this was changed since I
    looked", so nothing differing is saved unseen; a value equal to the stored one is no
    conflict, so a form posting the current values saves as usual. A deleted row is a
    conflict when its posted values are not the stored ones (the editor did not see the
    row as it is). Rows posted that this object does not have (deleted since, or another
    object's) are left out and listed in ``dropped``; rows not posted stay as they are.
    """
    conflicts: list[Conflict] = []
    fields: Values = {}
    for name, my_value in mine.fields.items():
        their_value = theirs.fields.get(name, "")
        if my_value != their_value:
            conflicts.append(Conflict(conflict_key(name), None, name, their_value, my_value))
        fields[name] = my_value
    rows: dict[str, Values] = {}
    for pk, their_row in theirs.rows.items():
        my_row = mine.rows.get(pk)
        if my_row is None:
            rows[pk] = dict(their_row)
            continue
        values = {k: v for k, v in my_row.items() if k != DELETE}
        deleting = my_row.get(DELETE) == "on"
        if deleting and _row_changed(values, their_row):
            conflicts.append(Conflict(conflict_key(DELETE, pk), pk, DELETE, "kept", "delete"))
        for name, my_value in values.items():
            their_value = their_row.get(name, "")
            if my_value != their_value:
                conflicts.append(Conflict(conflict_key(name, pk), pk, name, their_value, my_value))
        rows[pk] = values | ({DELETE: "on"} if deleting else {})
    dropped = [pk for pk in mine.rows if pk not in theirs.rows]
    return MergeResult(fields=fields, rows=rows, conflicts=conflicts, dropped=dropped)


def edit_choices_apply(
    *, mine: EditState, base: EditState, choices: dict[str, str], pending: list[str]
) -> list[str]:
    """Apply the editor's per-field choices to a conflict shown earlier; return the
    keys still without a choice.

    When the conflict was shown, the form's base became the other save's state, so
    "take theirs" means "post the base value" and "keep mine" means "post what I typed".
    """
    missing = []
    for key in pending:
        choice = choices.get(key)
        if choice not in ("mine", "theirs"):
            missing.append(key)
            continue
        if choice == "mine":
            continue
        if key.startswith("row:"):
            _, pk, name = key.split(":", 2)
            row = mine.rows.get(pk)
            if row is None:
                continue
            if name == DELETE:
                row.pop(DELETE, None)
            elif name in base.rows.get(pk, {}):
                row[name] = base.rows[pk][name]
        elif key in base.fields:
            mine.fields[key] = base.fields[key]
    return missing
