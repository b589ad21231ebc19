""" "Bring their changes into my form": the existing merge, applied to the form on screen.

When the presence poll says someone saved the object since this form was loaded, the
page's script (``catalog/static/catalog/presence.js``) POSTs the form as it is now to
``<id>/bring-in/``. The same merge as a save (``catalog.concurrency.edit_merge``: base
from the form's version token, theirs from the database, mine from the POST) says, for
each field and existing inline row, which value the form should hold; this answers the
inputs whose value should change. Nothing is saved, and the form keeps its token: when
the editor saves, the ordinary check merges again (the values brought in equal theirs,
so they merge cleanly) and a field both changed is shown in the conflict table, with the
editor's input kept in the form until then. Rows they added or deleted are left to that
save's merge (they are counted in the answer, not drawn into the form).
"""

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse

from catalog.admin.edit_form import conflict_row, value_display
from catalog.admin.presence import saves_by_text
from catalog.admin.version_token import TOKEN_FIELD, Token
from catalog.concurrency import DELETE, MergeResult, edit_merge


def _row_indexes(data: Any, prefix: str) -> dict[str, int]:
    """pk -> the inline form's index, as this POST numbers its existing rows."""
    indexes: dict[str, int] = {}
    start, end = f"{prefix}-", "-id"
    for key in data:
        if key.startswith(start) and key.endswith(end):
            index = key[len(start) : -len(end)]
            if index.isdigit() and data.get(key):
                indexes[str(data.get(key))] = int(index)
    return indexes


def form_changes(
    model: Any, result: MergeResult, mine: Any, data: Any, prefix: str | None
) -> list[dict[str, str]]:
    """The inputs to set: each ``{"name": ..., "value": ...}`` the merge changes."""
    changes = [
        # The text too: an autocomplete's select holds only the option chosen on load.
        {"name": name, "value": value, "text": value_display(model, name, value)}
        for name, value in result.fields.items()
        if mine.fields.get(name) != value
    ]
    if prefix is None:
        return changes
    indexes = _row_indexes(data, prefix)
    for pk, values in result.rows.items():
        if pk not in mine.rows or pk not in indexes:
            continue  # added since: the save's merge keeps it
        for name, value in values.items():
            if name != DELETE and mine.rows[pk].get(name) != value:
                changes.append({"name": f"{prefix}-{indexes[pk]}-{name}", "value": value})
    return changes


def bring_in_view(model_admin: Any, request: HttpRequest, object_id: str) -> JsonResponse:
    """POST the change form as it is: answer the inputs that take the other saves' values.

    ``model_admin`` is an ``OptimisticAdmin`` (its state readers), which serves this
    view: not imported here, so the two modules do not import each other.
    Change permission only (as a save); CSRF-checked by the admin. Never writes.
    """
    if request.method != "POST":
        response = JsonResponse({"error": "POST the change form"}, status=405)
        response["Allow"] = "POST"
        return response
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404
    if not model_admin.has_change_permission(request, obj):
        raise PermissionDenied
    binding = model_admin._occ_binding(obj.pk, inline=True)
    token = Token.loads(request.POST.get(TOKEN_FIELD), binding)
    if token is None:
        return JsonResponse(
            {
                "error": "base_unknown",
                "text": "We could not tell which version your form started from: save "
                "it, and every field that differs is shown for you to choose.",
            },
            status=409,
        )
    theirs = model_admin._occ_state(request, obj, inline=True)
    mine, _new_rows = model_admin._occ_mine(request, obj, inline=True)
    result = edit_merge(base=token.base, theirs=theirs, mine=mine)
    inline = model_admin.edit_inline
    saves = model_admin.edit_target.saves_since(obj=obj, since=token.at)
    conflicts = [
        conflict_row(
            c, theirs, model_admin.model, model_admin._occ_inline_model(), base_unknown=False
        )
        for c in result.conflicts
    ]
    return JsonResponse(
        {
            "version": model_admin.edit_target.version(obj=obj),
            "by": saves_by_text(saves),
            "set": form_changes(
                model_admin.model, result, mine, request.POST, inline.prefix if inline else None
            ),
            "conflicts": conflicts,
            "rows_added": len([pk for pk in theirs.rows if pk not in token.base.rows]),
            "rows_deleted": len([pk for pk in token.base.rows if pk not in theirs.rows]),
        }
    )
