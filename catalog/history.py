"""Reads over the catalog's edit history, shaped for the History pages.

Storing and showing are kept apart: every save keeps its own record (a full snapshot;
nothing is deleted on save), and a burst of quick saves by one editor is grouped only
when the history is shown. The grouping is here, not in ``editors``, because the records
are the catalog models' own history and the catalog admin shows them; ``editors`` keeps
its reads about people (activity). Pruning is a separate, explicit command
(``catalog.services.history_prune``).

A product's History shows every change of its variants, whichever way it came: the
variants' records carry ``product_id``, so they are read by it. A product page saves the
product and its variant inlines in one request, and the admin stamps one ``history_date``
on all of them (``catalog.admin.history``), as does an import on its writes and a restore:
variant records with the date and user of a product record are that save's; the others
(a variant's own page, an import that changed only variants) are saves of their own.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar

from django.core.paginator import Page, Paginator
from simple_history.manager import HistoricalQuerySet
from simple_history.models import HistoricalChanges, ModelChange

from catalog.models import Variant

#: Who a record names when code made the change (the demo seed, a command, a migration):
#: no request, so no user. Also a user deleted since (the record keeps no name).
SYSTEM_AUTHOR = "system"


class RecordKey(NamedTuple):
    """What grouping needs of a record: cheap to read for a whole history at once."""

    history_id: int
    history_date: datetime
    history_user_id: int | None
    history_type: str
    #: Why (an import's file, a restore): a save with another reason starts a new row.
    reason: str | None = None


class _Groupable(Protocol):
    @property
    def history_date(self) -> datetime: ...
    @property
    def history_user_id(self) -> int | None: ...
    @property
    def history_type(self) -> str: ...
    @property
    def reason(self) -> str | None: ...


G = TypeVar("G", bound=_Groupable)


def history_bursts(records: Sequence[G], *, window_seconds: int) -> list[list[G]]:
    """Group records (oldest first) into same-editor bursts, oldest first.

    A change ("~") joins the burst before it when that burst's last record is also a
    change, by the same user (no user, i.e. changes from code, counts as one user), for
    the same reason (none, or the same import or restore), at most ``window_seconds``
    earlier. The window slides: each save is compared with the one before it. Creations
    ("+") and deletions ("-") are always a row of their own, and another user's save or
    reason always ends a burst, so each row says truthfully who did it and why (a
    restore is a row of its own). ``window_seconds <= 0`` makes every record its own row.
    """
    window = timedelta(seconds=window_seconds)
    bursts: list[list[G]] = []
    for record in records:
        last = bursts[-1][-1] if bursts else None
        if (
            last is not None
            and window_seconds > 0
            and record.history_type == "~"
            and last.history_type == "~"
            and record.history_user_id == last.history_user_id
            and (record.reason or None) == (last.reason or None)
            and record.history_date - last.history_date <= window
        ):
            bursts[-1].append(record)
        else:
            bursts.append([record])
    return bursts


@dataclass
class VariantDelta:
    """What happened to one variant in a save (or a burst): its SKU and field changes."""

    sku: str
    #: "added", "changed", "deleted" (or "added and deleted" within one burst), or
    #: "first recorded" (no earlier record: seeded, imported before history, pruned).
    kind: str
    changes: list[ModelChange]


@dataclass
class SaveEntry:
    """One save: the object's record (None when only variants changed), its own field
    changes and its variants' changes."""

    record: HistoricalChanges | None
    date: datetime
    user: Any
    reason: str | None
    #: "+", "~" or "-": what happened to the object (a variant-only save is a "~").
    kind: str
    changes: list[ModelChange]
    variants: list[VariantDelta]
    #: Variant SKUs of a save without a record of the object (their pages restore them).
    variant_skus: list[str] = field(default_factory=list)
    #: The oldest record there is, a change with nothing earlier to compare it with.
    first_recorded: bool = False


@dataclass
class BurstRow:
    """One row of the History page: one save, or a burst of them by one editor."""

    #: Newest first, as the page lists them.
    saves: list[SaveEntry]
    #: The whole change of the burst: the record before it against its last record.
    changes: list[ModelChange]
    variants: list[VariantDelta] = field(default_factory=list)
    #: The burst starts at the oldest record there is (the changes are those after it).
    first_recorded: bool = False

    @property
    def last(self) -> SaveEntry:
        return self.saves[0]

    @property
    def record(self) -> HistoricalChanges | None:
        """The burst's last record of the object: what the row links to (restore)."""
        return next((s.record for s in self.saves if s.record is not None), None)

    @property
    def first_date(self) -> datetime:
        return self.saves[-1].date

    @property
    def is_burst(self) -> bool:
        return len(self.saves) > 1


def _changes(new: HistoricalChanges, old: HistoricalChanges | None) -> list[ModelChange]:
    """Field changes from ``old`` to ``new``, leaving out what no editor could have made.

    The admin's forms strip leading and trailing spaces, so a value that differs only
    there (rows written by code or a seed before the seed was normalised) was not an
    editor's change and is not shown as one.
    """
    if old is None or old is new:
        return []
    delta = new.diff_against(old, foreign_keys_are_objs=True)
    return [c for c in delta.changes if not _only_spaces_differ(c.old, c.new)]


def _only_spaces_differ(old: object, new: object) -> bool:
    if not (isinstance(old, str) and isinstance(new, str)):
        return False
    return old != new and old.strip() == new.strip()


@dataclass
class _Event:
    """One save in the object's timeline: its own record and/or its variants' records."""

    history_date: datetime
    history_user_id: int | None
    history_type: str
    reason: str | None
    #: The object's own record (history id), if this save wrote one.
    own: int | None
    #: History ids of the variant records this save wrote (a product's page only).
    variant_ids: list[int] = field(default_factory=list)


_KEY_FIELDS = ("history_id", "history_date", "history_user_id", "history_type")


def _events(records: HistoricalQuerySet, product_id: int | None) -> list[_Event]:
    """The object's saves, oldest first: two light reads whatever the history's length."""
    own = [
        RecordKey(*row)
        for row in records.order_by("history_date", "history_id").values_list(
            *_KEY_FIELDS, "history_change_reason"
        )
    ]
    events = [
        _Event(k.history_date, k.history_user_id, k.history_type, k.reason, k.history_id)
        for k in own
    ]
    if product_id is None:
        return events
    by_save = {(e.history_date, e.history_user_id): e for e in events}
    alone: dict[tuple[datetime, int | None], _Event] = {}
    rows = (
        Variant.history.filter(product_id=product_id)
        .order_by("history_date", "history_id")
        .values_list(*_KEY_FIELDS, "history_change_reason")
    )
    for key in (RecordKey(*row) for row in rows):
        save = (key.history_date, key.history_user_id)
        event = by_save.get(save) or alone.get(save)
        if event is None:
            event = alone[save] = _Event(
                key.history_date, key.history_user_id, "~", key.reason, None
            )
        event.variant_ids.append(key.history_id)
    return sorted([*events, *alone.values()], key=lambda e: (e.history_date, e.own is None))


class _VariantHistory:
    """The variant records of a page's saves, with each variant's earlier records."""

    def __init__(self, history_ids: set[int]) -> None:
        self.records = {
            r.history_id: r
            for r in Variant.history.filter(history_id__in=history_ids).select_related(
                "history_user"
            )
        }
        # Every earlier record of the touched variants, for the state before a save.
        self.timeline: dict[int, list[Any]] = {}
        if self.records:
            latest = max(r.history_date for r in self.records.values())
            touched = {r.id for r in self.records.values()}
            for rec in Variant.history.filter(id__in=touched, history_date__lte=latest).order_by(
                "history_date", "history_id"
            ):
                self.timeline.setdefault(rec.id, []).append(rec)

    def of(self, event: _Event) -> list[Any]:
        return [self.records[i] for i in event.variant_ids if i in self.records]

    def before(self, rec: Any) -> Any | None:
        """The variant's record just before ``rec`` (None: none, or pruned)."""
        previous = None
        for candidate in self.timeline.get(rec.id, []):
            if candidate.history_id == rec.history_id:
                return previous
            previous = candidate
        return previous

    def delta(self, first: Any, last: Any) -> VariantDelta | None:
        """From before ``first`` to ``last`` (records of one variant); None if no change."""
        if first.history_type == "+":
            kind = "added and deleted" if last.history_type == "-" else "added"
            return VariantDelta(sku=last.sku, kind=kind, changes=[])
        if last.history_type == "-":
            return VariantDelta(sku=last.sku, kind="deleted", changes=[])
        before = self.before(first)
        if before is None:  # nothing earlier: say so, with what changed after it
            return VariantDelta(sku=last.sku, kind="first recorded", changes=_changes(last, first))
        changes = _changes(last, before)
        return VariantDelta(sku=last.sku, kind="changed", changes=changes) if changes else None

    def deltas(self, records: list[Any]) -> list[VariantDelta]:
        """One delta per variant over ``records`` (oldest first), in SKU order."""
        spans: dict[int, tuple[Any, Any]] = {}
        for rec in records:
            first = spans[rec.id][0] if rec.id in spans else rec
            spans[rec.id] = (first, rec)
        found = [self.delta(first, last) for first, last in spans.values()]
        return sorted((d for d in found if d is not None), key=lambda d: d.sku)


def history_rows(
    *,
    records: HistoricalQuerySet,
    window_seconds: int,
    page_number: str | int | None,
    per_page: int,
    product_id: int | None = None,
) -> tuple[Page, list[BurstRow]]:
    """The History page of one object: a page of rows, newest first, each a burst.

    ``records`` is the object's history (any order). With ``product_id``, the product's
    variants' records are read too (by product id), each with the product save it belongs
    to or as a save of its own. A fixed number of queries whatever the history's length:
    light reads of every record to group and paginate, then the page's full records.
    """
    events = _events(records, product_id)
    # The object's own record in force before each save (None: nothing earlier).
    prior: list[int | None] = []
    current: int | None = None
    for event in events:
        prior.append(current)
        current = event.own if event.own is not None else current
    index = {id(e): n for n, e in enumerate(events)}
    bursts = history_bursts(events, window_seconds=window_seconds)
    page = Paginator(list(reversed(bursts)), per_page).get_page(page_number)
    wanted: set[int] = set()
    variant_ids: set[int] = set()
    for burst in page.object_list:
        for event in burst:
            wanted.update(i for i in (event.own, prior[index[id(event)]]) if i is not None)
            variant_ids.update(event.variant_ids)
    full = {
        r.history_id: r
        for r in records.filter(history_id__in=wanted)
        .select_related("history_user")
        # Registry: config.upstream "django-simple-history tracked objects".
        ._select_related_history_tracked_objs()
    }
    variants = _VariantHistory(variant_ids) if product_id is not None else None
    rows = [_row(burst, full, prior, index, variants) for burst in page.object_list]
    return page, rows


def _row(
    burst: list[_Event],
    full: dict[int, HistoricalChanges],
    prior: list[int | None],
    index: dict[int, int],
    variants: _VariantHistory | None,
) -> BurstRow:
    saves = []
    for event in burst:
        before_id = prior[index[id(event)]]
        before = full.get(before_id) if before_id is not None else None
        record = full.get(event.own) if event.own is not None else None
        own_variants = variants.of(event) if variants else []
        first_recorded = record is not None and event.history_type == "~" and before is None
        changes = (
            _changes(record, before) if record is not None and event.history_type == "~" else []
        )
        user = record.history_user if record is not None else None
        if record is None and own_variants:
            user = own_variants[0].history_user
        saves.append(
            SaveEntry(
                record=record,
                date=event.history_date,
                user=user,
                reason=event.reason,
                kind=event.history_type,
                changes=changes,
                variants=variants.deltas(own_variants) if variants else [],
                variant_skus=sorted({v.sku for v in own_variants}) if record is None else [],
                first_recorded=first_recorded,
            )
        )
    start_id = prior[index[id(burst[0])]]
    start = full.get(start_id) if start_id is not None else None
    own = [s.record for s in saves if s.record is not None]
    end = own[-1] if own else None
    firsts = [s.record for s in saves if s.first_recorded]
    if firsts:  # nothing before the burst: what changed after its first record
        start = firsts[0]
    burst_variants = [rec for event in burst for rec in (variants.of(event) if variants else [])]
    return BurstRow(
        saves=list(reversed(saves)),
        changes=_changes(end, start) if end is not None and burst[-1].history_type == "~" else [],
        variants=variants.deltas(burst_variants) if variants else [],
        first_recorded=bool(firsts),
    )
