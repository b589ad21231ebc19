"""The History pages' diffs as HTML: text fields word by word, other fields old -> new.

The pieces come from ``catalog.textdiff``. Removed words are a ``<del>``, added ones an
``<ins>`` (``catalog/static/catalog/history.css`` colours them and says "removed" /
"added" to screen readers, which do not announce the elements themselves); a folded
stretch is a button "… 12 words …" that ``history.js`` opens in place.
"""

from typing import Any

from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from catalog.textdiff import Piece, text_diff


def is_prose(field: Any) -> bool:
    """Whether a field holds words an editor writes (a description, a name).

    Codes (SKUs, slugs, sizes: short fields), choices, numbers and relations read best as
    "old -> new"; a word diff of "EUR -> USD" would only add markup.
    """
    if not isinstance(field, models.CharField | models.TextField) or field.choices:
        return False
    if isinstance(field, models.SlugField):
        return False
    return isinstance(field, models.TextField) or (field.max_length or 0) >= 100


def _piece_html(piece: Piece) -> SafeString:
    if piece.kind == "removed":
        return format_html('<del class="diff-removed">{}</del>', piece.text)
    if piece.kind == "added":
        return format_html('<ins class="diff-added">{}</ins>', piece.text)
    if piece.kind == "folded":
        label = f"… {piece.words} unchanged word{'' if piece.words == 1 else 's'} …"
        return format_html(
            '<button type="button" class="diff-expand" aria-expanded="false" '
            'title="Show the unchanged text">{}</button>'
            '<span class="diff-folded" hidden>{}</span>',
            label,
            piece.text,
        )
    return format_html("{}", piece.text)


def text_diff_html(old: str, new: str) -> SafeString:
    """One text change as a track-changes run of words (see the module docstring)."""
    return format_html(
        '<span class="history-value diff-text">{}</span>',
        format_html_join("", "{}", ((_piece_html(p),) for p in text_diff(old, new))),
    )


def changes_context(
    helper: HistoricalRecordContextHelper, model: type[models.Model], changes: list[ModelChange]
) -> list[dict[str, Any]]:
    """What ``_history_changes.html`` shows of each change: a word diff or old and new."""
    shown = []
    for change in changes:
        formatted = helper.format_delta_change(change)
        entry: dict[str, Any] = {
            "field": formatted.field,
            "old": formatted.old,
            "new": formatted.new,
        }
        field = model._meta.get_field(change.field)
        if is_prose(field) and isinstance(change.old, str) and isinstance(change.new, str):
            entry["diff"] = text_diff_html(change.old, change.new)
        shown.append(entry)
    return shown
