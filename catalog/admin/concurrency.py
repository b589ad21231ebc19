"""The admin edge of optimistic concurrency and presence (logic: ``catalog.concurrency``).

A change form (and a revert form) carries a signed token in a hidden field: the version
it was loaded from, when, and every value it showed (its *base*). The values travel
with the form rather than being looked up in the edit history because the history is
not a copy of every version: the product's record omits its version counter, and
categories keep no history at all; the token is signed, so what comes back is what was
shown. A POST without a token (a script, a form from before this existed) is saved as
before.

On POST, inside the admin's save transaction: lock the row and read its version; if it
is newer than the token's, merge (rewrite the POST as "their state plus my changes") or
show the conflict (the form fails validation with a conflict error: nothing is saved).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from catalog.admin.presence import PresenceAdmin
from catalog.concurrency import (
    DELETE,
    Conflict,
    EditState,
    conflict_key,
    edit_choices_apply,
    edit_merge,
    value_text,
)
from catalog.edit_targets import EditTarget, Save
from catalog.presence import PRESENCE_POLL_SECONDS

if TYPE_CHECKING:
    _ModelAdmin = Any
else:
    _ModelAdmin = object

TOKEN_FIELD = "_occ"
CHOICE_PREFIX = "_occ_choice:"
_SALT = "catalog.admin.concurrency"
CONFLICT_ERROR = (
    "Someone saved this form since you opened it and changed some of the fields you "
    "changed. Nothing was saved: choose, for each field below, which value to keep."
)
MISSING_CHOICE_ERROR = "Choose which value to keep for each field below, then save again."


@dataclass(frozen=True)
class Inline:
    """The inline rows taking part (the product's variants): formset prefix, fields, FK."""

    prefix: str
    fields: Sequence[str]
    fk: str


@dataclass
class Token:
    version: int
    at: datetime
    base: EditState
    pending: list[str] = field(default_factory=list)

    def dumps(self) -> str:
        data = {
            "v": self.version,
            "at": self.at.isoformat(),
            "base": self.base.as_json(),
            "pending": self.pending,
        }
        return signing.dumps(data, salt=_SALT, compress=True)

    @classmethod
    def loads(cls, text: str | None) -> "Token | None":
        if not text:
            return None
        try:
            data = signing.loads(text, salt=_SALT)
            return cls(
                version=int(data["v"]),
                at=datetime.fromisoformat(data["at"]),
                base=EditState.from_json(data["base"]),
                pending=list(data.get("pending", [])),
            )
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return None


@dataclass
class Outcome:
    """What the check decided for this request (``request._occ``)."""

    token: Token
    conflicts: list[Conflict] = field(default_factory=list)
    error: str = ""
    #: Whether another save's changes were merged under this one; whose, when known.
    merged: bool = False
    merged_with: list[Save] = field(default_factory=list)
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

    def _occ_mine(
        self, data: QueryDict, fields: Sequence[str], *, inline: bool
    ) -> tuple[EditState, list[dict[str, str]]]:
        opts = self.model._meta
        mine = EditState(
            fields={n: value_text(opts.get_field(n), data.get(n)) for n in fields if n in data}
        )
        new_rows: list[dict[str, str]] = []
        if not (inline and self.edit_inline):
            return mine, new_rows
        p, row_opts = self.edit_inline.prefix, self._occ_inline_model()._meta
        for index in range(int(data.get(f"{p}-TOTAL_FORMS") or 0)):
            start = f"{p}-{index}-"
            raw = {k[len(start) :]: data.get(k, "") for k in data if k.startswith(start)}
            if not raw.get("id"):
                new_rows.append(raw)
                continue
            values = {
                n: value_text(row_opts.get_field(n), raw[n])
                for n in self.edit_inline.fields
                if n in raw
            }
            if raw.get(DELETE):
                values[DELETE] = "on"
            mine.rows[raw["id"]] = values
        return mine, new_rows

    def _occ_inline_model(self) -> Any:
        assert self.edit_inline is not None
        return self.model._meta.get_field(self.edit_inline.prefix).related_model

    def _occ_post(
        self,
        request: HttpRequest,
        object_id: str,
        state: EditState,
        new_rows: list[dict[str, str]],
        *,
        inline: bool,
    ) -> None:
        """Replace the request's POST by ``state`` (plus the editor's new inline rows)."""
        data = request.POST.copy()
        for name, value in state.fields.items():
            data[name] = value
        if inline and self.edit_inline:
            p, fk = self.edit_inline.prefix, self.edit_inline.fk
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
        data._mutable = False
        request.POST = data  # type: ignore[assignment]

    # ---- the check --------------------------------------------------------------------
    def _occ_check(self, request: HttpRequest, object_id: str, *, inline: bool) -> None:
        """Lock the row, compare versions, merge or record the conflict on ``request``."""
        version = self.edit_target.lock(object_id=object_id)
        token = Token.loads(request.POST.get(TOKEN_FIELD))
        if version is None or token is None:
            return
        request._occ = Outcome(token=token)  # type: ignore[attr-defined]
        if version == token.version and not token.pending:
            return  # the common case: one locking read, nothing else
        obj = self.model._default_manager.get(pk=object_id)
        fields = self._occ_fields(request, obj)
        mine, new_rows = self._occ_mine(request.POST, fields, inline=inline)
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
                token=Token(token.version, token.at, token.base, missing),
                conflicts=[self._occ_pending_conflict(k, token.base, mine) for k in missing],
                error=MISSING_CHOICE_ERROR,
            )
            return
        if version == token.version:  # choices made, nobody saved since: post them
            self._occ_post(request, object_id, mine, new_rows, inline=inline)
            request._occ = Outcome(  # type: ignore[attr-defined]
                token=Token(token.version, token.at, token.base)
            )
            return
        theirs = self._occ_state(request, obj, inline=inline)
        result = edit_merge(base=token.base, theirs=theirs, mine=mine)
        merged = EditState(fields=result.fields, rows=result.rows)
        self._occ_post(request, object_id, merged, new_rows, inline=inline)
        changed = theirs.fields != token.base.fields or theirs.rows != token.base.rows
        request._occ = Outcome(  # type: ignore[attr-defined]
            token=Token(version, timezone.now(), theirs, [c.key for c in result.conflicts]),
            conflicts=result.conflicts,
            error=CONFLICT_ERROR if result.conflicts else "",
            merged=changed and not result.conflicts,
            merged_with=self.edit_target.saves_since(obj=obj, since=token.at) if changed else [],
            dropped=[token.base.rows[pk].get("sku", pk) for pk in result.dropped],
        )

    def _occ_pending_conflict(self, key: str, base: EditState, mine: EditState) -> Conflict:
        if key.startswith("row:"):
            _, pk, name = key.split(":", 2)
            theirs = "changed" if name == DELETE else base.rows.get(pk, {}).get(name, "")
            mine_value = mine.rows.get(pk, {}).get(name, "")
            return Conflict(conflict_key(name, pk), pk, name, theirs, mine_value)
        return Conflict(key, None, key, base.fields.get(key, ""), mine.fields.get(key, ""))

    def _occ_transaction(self) -> Any:
        return transaction.atomic(using=router.db_for_write(self.model))

    # ---- Django's hooks ---------------------------------------------------------------
    def _changeform_view(
        self, request: HttpRequest, object_id: str | None, form_url: str, extra_context: Any
    ) -> HttpResponse:
        # Runs inside changeform_view's transaction: the lock lasts until the save commits.
        if request.method == "POST" and object_id is not None and "_saveasnew" not in request.POST:
            self._occ_check(request, unquote(object_id), inline=True)
        return super()._changeform_view(request, object_id, form_url, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        """A revert is a save like any other: checked against the version it was opened at."""
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        with self._occ_transaction():
            self._occ_check(request, unquote(object_id), inline=False)
            return super().history_form_view(request, object_id, version_id, extra_context)

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
        conflicts = [
            self._occ_conflict_row(c, token.base) for c in (outcome.conflicts if outcome else [])
        ]
        return {
            "occ_token_field": TOKEN_FIELD,
            "occ_token": token.dumps(),
            "occ_version": token.version,
            "occ_conflicts": conflicts,
            "occ_choice_prefix": CHOICE_PREFIX,
            "occ_presence_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_presence",
                args=[obj.pk],
                current_app=self.admin_site.name,
            ),
            "occ_poll_ms": PRESENCE_POLL_SECONDS * 1000,
        }

    def _occ_conflict_row(self, conflict: Conflict, base: EditState) -> dict[str, str]:
        if conflict.row is None:
            model, prefix = self.model, ""
        else:
            model = self._occ_inline_model() if self.edit_inline else self.model
            sku = base.rows.get(conflict.row, {}).get("sku", conflict.row)
            prefix = f"{sku}: "
        if conflict.name == DELETE:
            label, theirs, mine = f"{prefix}delete", "changed by them, kept", "deleted by you"
        else:
            model_field = model._meta.get_field(conflict.name)
            label = prefix + capfirst(str(model_field.verbose_name))
            theirs, mine = (
                _display(model_field, conflict.theirs),
                _display(model_field, conflict.mine),
            )
        return {"key": conflict.key, "label": label, "theirs": theirs, "mine": mine}

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


def _display(model_field: Any, value: str) -> str:
    """A posted value as an editor reads it: a choice's label, a related object's name."""
    if value == "":
        return "(empty)"
    if getattr(model_field, "choices", None):
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        related = model_field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else value
    return value
