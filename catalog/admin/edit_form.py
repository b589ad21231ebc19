"""An editor's POST as the version check reads it, written back, and its conflicts shown.

Split from ``catalog.admin.concurrency`` (the check itself): reading the posted form
into an ``EditState`` (what Django will save, field by field and inline row by row),
replacing the POST by a merged state, and a conflict as the editor reads it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.forms.formsets import DEFAULT_MAX_NUM
from django.http import HttpRequest, QueryDict
from django.utils.text import capfirst

from catalog.concurrency import DELETE, Conflict, EditState, value_text


@dataclass(frozen=True)
class Inline:
    """The inline rows taking part (the product's variants): formset prefix, fields, FK."""

    prefix: str
    fields: Sequence[str]
    fk: str


def posted_state(
    model: type[models.Model],
    data: QueryDict,
    fields: Sequence[str],
    inline: Inline | None,
    inline_model: type[models.Model] | None,
) -> tuple[EditState, list[dict[str, str]]]:
    """The POST as an ``EditState``, and the new inline rows (no id) as posted.

    A form field missing from the POST is read as empty, as Django's form saves it: a
    script posting half a form must not blank the other half unseen.
    """
    opts = model._meta
    mine = EditState(fields={n: value_text(opts.get_field(n), data.get(n)) for n in fields})  # type: ignore[arg-type]
    new_rows: list[dict[str, str]] = []
    if inline is None or inline_model is None:
        return mine, new_rows
    row_opts = inline_model._meta
    for raw in _posted_rows(data, inline.prefix):
        if not raw.get("id"):
            new_rows.append(raw)
            continue
        values = {
            n: value_text(row_opts.get_field(n), raw[n])  # type: ignore[arg-type]
            for n in inline.fields
            if n in raw
        }
        if raw.get(DELETE):
            values[DELETE] = "on"
        mine.rows[raw["id"]] = values
    return mine, new_rows


def _posted_rows(data: QueryDict, prefix: str) -> list[dict[str, str]]:
    """The inline's rows ``<prefix>-<n>-<name>`` in order, each without its prefix.

    One pass over the POST, rows below TOTAL_FORMS and the formset's absolute maximum
    (2,000: more is refused by the formset anyway), so a forged count costs nothing.
    """
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS") or 0), 2 * DEFAULT_MAX_NUM)
    except ValueError:
        return []  # the formset's own validation says the management form is broken
    rows: dict[int, dict[str, str]] = {}
    start = f"{prefix}-"
    for key in data:
        index, _, name = key[len(start) :].partition("-")
        if (
            key.startswith(start)
            and index.isascii()
            and index.isdigit()
            and name
            and int(index) < total
        ):
            rows.setdefault(int(index), {})[name] = data.get(key, "")
    return [rows[index] for index in sorted(rows)]


def post_replace(
    request: HttpRequest,
    object_id: str,
    state: EditState,
    new_rows: list[dict[str, str]],
    inline: Inline | None,
) -> None:
    """Replace the request's POST by ``state`` (plus the editor's new inline rows)."""
    data = request.POST.copy()
    for name, value in state.fields.items():
        data[name] = value
    if inline is not None:
        p, fk = inline.prefix, inline.fk
        for key in [k for k in data if k.startswith(f"{p}-") and "FORMS" not in k]:
            del data[key]
        for index, (pk, values) in enumerate(state.rows.items()):
            data[f"{p}-{index}-id"], data[f"{p}-{index}-{fk}"] = pk, object_id
            for name, value in values.items():
                data[f"{p}-{index}-{name}"] = value
        for offset, raw in enumerate(new_rows, start=len(state.rows)):
            for name, value in raw.items():
                data[f"{p}-{offset}-{name}"] = value
        data[f"{p}-INITIAL_FORMS"] = str(len(state.rows))
        data[f"{p}-TOTAL_FORMS"] = str(len(state.rows) + len(new_rows))
    data._mutable = False  # Registry: config.upstream "Django QueryDict _mutable".
    request.POST = data  # type: ignore[assignment]


def conflict_row(
    conflict: Conflict,
    base: EditState,
    model: type[models.Model],
    row_model: type[models.Model] | None,
    *,
    base_unknown: bool,
) -> dict[str, str]:
    """One line of the conflict block: the field's label, both values as an editor reads them."""
    if conflict.row is None:
        field_model, prefix = model, ""
    else:
        field_model = row_model or model
        sku = base.rows.get(conflict.row, {}).get("sku", conflict.row)
        prefix = f"{sku}: "
    if conflict.name == DELETE:
        kept = "kept as saved now" if base_unknown else "changed by them, kept"
        label, theirs, mine = f"{prefix}delete", kept, "deleted by you"
    else:
        model_field: Any = field_model._meta.get_field(conflict.name)
        label = prefix + capfirst(str(model_field.verbose_name))
        theirs, mine = _display(model_field, conflict.theirs), _display(model_field, conflict.mine)
    return {"key": conflict.key, "label": label, "theirs": theirs, "mine": mine}


def value_display(model: type[models.Model], name: str, value: str) -> str:
    """A field's posted value as an editor reads it (see ``_display``)."""
    return _display(model._meta.get_field(name), value)


def _display(model_field: Any, value: str) -> str:
    """A posted value as an editor reads it: a choice's label, a related object's name."""
    if value == "":
        return "(empty)"
    if getattr(model_field, "choices", None):
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        try:
            related = model_field.related_model._default_manager.filter(pk=value).first()
        except (ValueError, ValidationError):  # not an id at all: shown as typed
            return value
        return str(related) if related is not None else value
    return value
