"""The forms of the saved views' pages and the column chooser; they read input only,
the rules are ``catalog.listviews.services``."""

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from catalog.listviews.services import NAME_MAX_LENGTH


class SavedViewForm(forms.Form):
    """Save this view (a new one), or change an own view's name and sharing."""

    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        error_messages={"required": "Give the view a name."},
        widget=forms.TextInput(attrs={"size": 30}),
    )
    shared = forms.BooleanField(
        label="Share with the team",
        required=False,
        help_text="Every editor can then open it and make it their default; only you change it.",
    )
    make_default = forms.BooleanField(
        label="Make it my default",
        required=False,
        help_text="The product list opens on this view; “All products” is always one click away.",
    )
    #: The list's address when "Save this view" was pressed.
    query = forms.CharField(required=False, widget=forms.HiddenInput)


class ColumnChoiceError(ValueError):
    """A position that is not a whole number: said next to its column."""


def columns_chosen(
    data: Mapping[str, Any],
    *,
    available: Sequence[str],
    required: Sequence[str],
    current: Sequence[str] = (),
) -> list[str]:
    """The columns ticked in the chooser, in the order the positions typed say.

    A column given a new position (``current``: the columns shown before) goes to that
    place; the others keep their order around it. A column without a position keeps its
    place in the list's own order.
    """
    ticked = set(data.getlist("show") if hasattr(data, "getlist") else data.get("show", []))
    ticked.update(required)
    moved: list[tuple[int, int, str]] = []
    staying: list[tuple[int, int, str]] = []
    problems: list[str] = []
    for index, name in enumerate(available):
        if name not in ticked:
            continue
        raw = str(data.get(f"position-{name}", "")).strip()
        try:
            position = int(raw) if raw else index + 1
        except ValueError:
            problems.append(name)
            continue
        was = current.index(name) + 1 if name in current else None
        (moved if raw and position != was else staying).append((position, index, name))
    if problems:
        raise ColumnChoiceError(",".join(problems))
    places: list[str | None] = [None] * (len(moved) + len(staying))
    for position, _, name in sorted(moved):
        slot = min(max(position, 1), len(places)) - 1
        free = [i for i, taken in enumerate(places) if taken is None]
        places[min(free, key=lambda i: (abs(i - slot), -i))] = name
    rest = iter(name for *_, name in sorted(staying))
    return [name if name is not None else next(rest) for name in places]
