"""The admin edge of optimistic concurrency and presence (logic: ``catalog.concurrency``).

A change form (and a revert form) carries a signed token in a hidden field
(``catalog.admin.version_token``): which object and form it is for, the version it was
loaded from, when, and every value it showed (its *base*). The values travel with the
form rather than being looked up in the edit history because the history is not a copy
of every version: the product's record omits its version counter, and categories keep no
history at all; the token is signed, so what comes back is what was shown.

On POST, inside the admin's save transaction, after the permission check: lock the row
and read its version; if it is newer than the token's, merge (rewrite the POST as "their
state plus my changes") or show the conflict (the form fails validation with a conflict
error: nothing is saved). Without a usable token (missing, tampered, another object's)
the base is unknown: every posted value that differs from the stored one is shown as a
conflict, never saved unseen; a POST of the current values saves as usual.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from catalog.admin.bring_in import bring_in_view
from catalog.admin.edit_form import Inline, conflict_row, post_replace, posted_state
from catalog.admin.ids import url_pk
from catalog.admin.presence import PresenceAdmin, saves_by_text
from catalog.admin.version_token import CHOICE_PREFIX, TOKEN_FIELD, Binding, Token
from catalog.concurrency import (
    DELETE,
    Conflict,
    EditState,
    conflict_key,
    edit_choices_apply,
    edit_compare_unknown_base,
    edit_merge,
)
from catalog.edit_targets import EditTarget, Save
from catalog.presence import PRESENCE_POLL_SECONDS

__all__ = ["CHOICE_PREFIX", "TOKEN_FIELD", "Inline", "OptimisticAdmin"]

CONFLICT_ERROR = (
    "Someone saved this form since you opened it and changed some of the fields you "
    "changed. Nothing was saved: choose, for each field below, which value to keep."
)
UNKNOWN_BASE_ERROR = (
    "We could not tell which version you started from: the page was too old (opened "
    "before an update of the site), or it was changed on its way here. Nothing was "
    "saved: each field below differs from what is saved now; choose which value to keep."
)


def conflict_error(saves: Sequence[Save]) -> str:
    """The conflict's message, naming who saved meanwhile and when, where known."""
    by = saves_by_text(list(saves))
    if not by:
        return CONFLICT_ERROR
    return (
        f"Saved by {by} since you opened this form, with changes to some of the fields "
        "you changed. Nothing was saved: choose, for each field below, which value to keep."
    )


MISSING_CHOICE_ERROR = "Choose which value to keep for each field below, then save again."


@dataclass
class Outcome:
    """What the check decided for this request (``request._occ``)."""

    token: Token
    conflicts: list[Conflict] = field(default_factory=list)
    error: str = ""
    #: Whether another save's changes were merged under this one; whose, when known.
    #: Never with an unknown base: nothing is merged then, only compared.
    merged: bool = False
    merged_with: list[Save] = field(default_factory=list)
    #: Whose saves met this one in a conflict, when known ("alice at 14:03").
    conflict_with: list[Save] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def saves_text(saves: Sequence[Save]) -> str:
    """ "alice's save of 14:03 and bob's save of 14:05" (local time)."""
    parts = [
        f"{s.username or 'someone'}'s save of {timezone.localtime(s.at):%H:%M}"
        for s in reversed(saves)
    ]
    return " and ".join(parts) or "a later save"


class OptimisticAdmin(PresenceAdmin):
    """Mix into a ModelAdmin (first): version check, merge, conflict form and presence."""

    edit_target: EditTarget
    edit_inline: Inline | None = None
    #: simple-history's revert page, with the token and the conflict block added.
    object_history_form_template = "admin/catalog/object_history_form.html"

    # ---- reading the form -------------------------------------------------------------
    def _occ_fields(self, request: HttpRequest, obj: Any) -> list[str]:
        form = super().get_form(request, obj, change=True)
        concrete = {f.name for f in self.model._meta.concrete_fields}
        return [name for name in form.base_fields if name in concrete]

    def _occ_state(self, request: HttpRequest, obj: Any, *, inline: bool) -> EditState:
        inline_fields = self.edit_inline.fields if (inline and self.edit_inline) else ()
        return self.edit_target.state(
            obj=obj, fields=self._occ_fields(request, obj), inline_fields=inline_fields
        )

    def _occ_inline(self, *, inline: bool) -> Inline | None:
        return self.edit_inline if inline else None

    def _occ_inline_model(self) -> Any:
        if self.edit_inline is None:
            return None
        return self.model._meta.get_field(self.edit_inline.prefix).related_model

    def _occ_mine(
        self, request: HttpRequest, obj: Any, *, inline: bool
    ) -> tuple[EditState, list[dict[str, str]]]:
        return posted_state(
            self.model,
            request.POST,
            self._occ_fields(request, obj),
            self._occ_inline(inline=inline),
            self._occ_inline_model(),
        )

    def _occ_binding(self, pk: Any, *, inline: bool) -> Binding:
        return Binding(self.opts.label_lower, str(pk), "change" if inline else "revert")

    # ---- the check --------------------------------------------------------------------
    def _occ_check(self, request: HttpRequest, object_id: str, *, inline: bool) -> None:
        """Lock the row, compare versions, merge or record the conflict on ``request``.

        ``object_id`` is the pk as text; the caller has checked change permission (no
        lock for whoever may not save).
        """
        version = self.edit_target.lock(object_id=object_id)
        if version is None:
            return  # gone: Django's own view says so
        binding = self._occ_binding(object_id, inline=inline)
        token = Token.loads(request.POST.get(TOKEN_FIELD), binding)
        if token is None:
            self._occ_unknown_base(request, object_id, version, inline=inline)
            return
        request._occ = Outcome(token=token)  # type: ignore[attr-defined]
        if version == token.version and not token.pending:
            return  # the common case: one locking read, nothing else
        obj = self.model._default_manager.get(pk=object_id)
        mine, new_rows = self._occ_mine(request, obj, inline=inline)
        choices = {
            k[len(CHOICE_PREFIX) :]: str(request.POST.get(k))
            for k in request.POST
            if k.startswith(CHOICE_PREFIX)
        }
        missing = edit_choices_apply(
            mine=mine, base=token.base, choices=choices, pending=token.pending
        )
        if missing:  # a choice left out: show the same conflict again, nothing decided
            request._occ = Outcome(  # type: ignore[attr-defined]
                token=Token(token.version, token.at, token.base, missing, token.base_unknown),
                conflicts=[self._occ_pending_conflict(k, token.base, mine) for k in missing],
                error=MISSING_CHOICE_ERROR,
            )
            return
        inline_form = self._occ_inline(inline=inline)
        if version == token.version:  # choices made, nobody saved since: post them
            post_replace(request, object_id, mine, new_rows, inline_form)
            request._occ = Outcome(  # type: ignore[attr-defined]
                token=Token(token.version, token.at, token.base)
            )
            return
        theirs = self._occ_state(request, obj, inline=inline)
        result = edit_merge(base=token.base, theirs=theirs, mine=mine)
        merged = EditState(fields=result.fields, rows=result.rows)
        post_replace(request, object_id, merged, new_rows, inline_form)
        changed = theirs.fields != token.base.fields or theirs.rows != token.base.rows
        saves = self.edit_target.saves_since(obj=obj, since=token.at) if changed else []
        request._occ = Outcome(  # type: ignore[attr-defined]
            token=Token(version, timezone.now(), theirs, [c.key for c in result.conflicts]),
            conflicts=result.conflicts,
            error=conflict_error(saves) if result.conflicts else "",
            merged=changed and not result.conflicts,
            merged_with=saves,
            conflict_with=saves if result.conflicts else [],
            dropped=[token.base.rows[pk].get("sku", pk) for pk in result.dropped],
        )

    def _occ_unknown_base(
        self, request: HttpRequest, object_id: str, version: int, *, inline: bool
    ) -> None:
        """No usable token: compare the POST with what is stored now, field by field.

        Every differing value is a conflict (nothing saved until the editor chooses);
        the form shown again holds this object's rows with the editor's values, and a
        token for it, so the choice is an ordinary second round.
        """
        obj = self.model._default_manager.get(pk=object_id)
        theirs = self._occ_state(request, obj, inline=inline)
        mine, new_rows = self._occ_mine(request, obj, inline=inline)
        result = edit_compare_unknown_base(theirs=theirs, mine=mine)
        kept = EditState(fields=result.fields, rows=result.rows)
        post_replace(request, object_id, kept, new_rows, self._occ_inline(inline=inline))
        keys = [c.key for c in result.conflicts]
        request._occ = Outcome(  # type: ignore[attr-defined]
            token=Token(version, timezone.now(), theirs, keys, base_unknown=bool(keys)),
            conflicts=result.conflicts,
            error=UNKNOWN_BASE_ERROR if keys else "",
        )
        noun = self._occ_inline_model()._meta.verbose_name if self.edit_inline else ""
        for pk in result.dropped:  # rows this object does not have: not in the form
            name = mine.rows[pk].get("sku") or f"#{pk}"
            messages.warning(
                request,
                f"{name} is not a {noun} of this {self.opts.verbose_name} (any more): "
                "your changes to it were not kept.",
            )

    def _occ_pending_conflict(self, key: str, base: EditState, mine: EditState) -> Conflict:
        if key.startswith("row:"):
            _, pk, name = key.split(":", 2)
            theirs = "changed" if name == DELETE else base.rows.get(pk, {}).get(name, "")
            mine_value = mine.rows.get(pk, {}).get(name, "")
            return Conflict(conflict_key(name, pk), pk, name, theirs, mine_value)
        return Conflict(key, None, key, base.fields.get(key, ""), mine.fields.get(key, ""))

    # ---- Django's hooks ---------------------------------------------------------------
    @property
    def media(self) -> forms.Media:
        # Static files, no inline script: the notices, "bring their changes in", drafts
        # and the question before leaving (catalog/static/catalog/).
        return super().media + forms.Media(
            js=["catalog/presence.js", "catalog/drafts.js"],
            css={"all": ["catalog/edit_form.css"]},
        )

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_bring_in"
        view = self.admin_site.admin_view(self.bring_in_view)
        return [path("<path:object_id>/bring-in/", view, name=name), *super().get_urls()]

    def bring_in_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """ "Bring their changes into my form" (``catalog.admin.bring_in``)."""
        return bring_in_view(self, request, object_id)

    def _changeform_view(
        self, request: HttpRequest, object_id: str | None, form_url: str, extra_context: Any
    ) -> HttpResponse:
        # Runs inside changeform_view's transaction: the lock lasts until the save commits.
        if object_id is not None and not (
            TO_FIELD_VAR in request.GET or TO_FIELD_VAR in request.POST
        ):
            pk = url_pk(self.model, unquote(object_id))  # "abc" names nothing: 404
            if request.method == "POST" and "_saveasnew" not in request.POST:
                # Before the lock: whoever may not save waits for nobody's row.
                if not self.has_change_permission(request):
                    raise PermissionDenied
                self._occ_check(request, str(pk), inline=True)
        return super()._changeform_view(request, object_id, form_url, extra_context)

    def history_revert_check(self, request: HttpRequest, pk: Any) -> None:
        """A revert is a save like any other: checked against the version it was opened
        at, under the row lock, in the revert's transaction (``HistoryAdmin`` calls it)."""
        self._occ_check(request, str(pk), inline=False)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form_class = super().get_form(request, obj, change, **kwargs)
        outcome: Outcome | None = getattr(request, "_occ", None)
        if outcome is None or not outcome.error:
            return form_class
        message = outcome.error

        class ConflictForm(form_class):  # type: ignore[valid-type,misc]
            def clean(self) -> Any:
                super().clean()
                raise ValidationError(message, code="edit_conflict")

        return ConflictForm

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # After every successful save, the change form's and the revert's alike; not
        # save_model, which an admin may replace (categories save through a service).
        entry = super().log_change(request, obj, message)
        outcome: Outcome | None = getattr(request, "_occ", None)
        if outcome and outcome.merged:
            messages.info(
                request,
                f"Merged with {saves_text(outcome.merged_with)}: your changes were saved "
                "on top of theirs.",
            )
        for sku in outcome.dropped if outcome else ():
            messages.warning(
                request,
                f"{sku} was deleted by someone else since you opened the form: your "
                "changes to it were not kept.",
            )
        return entry

    def _occ_context(self, request: HttpRequest, obj: Any, *, inline: bool) -> dict[str, Any]:
        outcome: Outcome | None = getattr(request, "_occ", None)
        if outcome is not None:
            token = outcome.token
        else:
            current = self.model._default_manager.get(pk=obj.pk)
            token = Token(
                self.edit_target.version(obj=current),
                timezone.now(),
                self._occ_state(request, current, inline=inline),
            )
        row_model = self._occ_inline_model()
        conflicts = [
            conflict_row(c, token.base, self.model, row_model, base_unknown=token.base_unknown)
            for c in (outcome.conflicts if outcome else [])
        ]
        return {
            "occ_token_field": TOKEN_FIELD,
            "occ_token": token.dumps(self._occ_binding(obj.pk, inline=inline)),
            "occ_version": token.version,
            "occ_conflicts": conflicts,
            "occ_base_unknown": token.base_unknown,
            "occ_choice_prefix": CHOICE_PREFIX,
            "occ_presence_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_presence",
                args=[obj.pk],
                current_app=self.admin_site.name,
            ),
            "occ_poll_ms": PRESENCE_POLL_SECONDS * 1000,
            "occ_conflict_by": saves_by_text(outcome.conflict_with) if outcome else "",
            # The change form only: its input is kept in the browser (drafts) and can take
            # the other saves' changes; a revert form restores a version, nothing typed.
            "occ_bring_in_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_bring_in",
                args=[obj.pk],
                current_app=self.admin_site.name,
            )
            if inline
            else "",
            # Per user too: two editors taking turns on one browser never see each
            # other's drafts.
            "occ_draft_key": f"{self.opts.label_lower}:{obj.pk}:u{request.user.pk}"
            if inline
            else "",
        }

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None and not add:
            context.update(self._occ_context(request, obj, inline=True))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_history_view(
        self, request: HttpRequest, template: str, context: dict[str, Any], **kwargs: Any
    ) -> HttpResponse:
        original = context.get("original")
        if original is not None and "adminform" in context:
            context.update(self._occ_context(request, original, inline=False))
        return super().render_history_view(request, template, context, **kwargs)
