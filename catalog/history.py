"""Reads over the catalog's edit history, shaped for the History pages.

Storing and showing are kept apart: every save keeps its own record (a full snapshot;
nothing is deleted on save), and a burst of quick saves by one editor is grouped only
when the history is shown. The grouping is here, not in ``editors``, because the records
are the catalog models' own history and the catalog admin shows them; ``editors`` keeps
its reads about people (activity). Pruning is a separate, explicit command
(``catalog.services.history_prune``).

A product page saves the product and its variant inlines in one request. The admin
stamps one ``history_date`` on all of them (``catalog.admin.history``), so the variant
records of a product save are the ones with the product record's date and user: that is
how a variant-only change shows on the product's page.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

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


def history_bursts(records: Sequence[RecordKey], *, window_seconds: int) -> list[list[RecordKey]]:
    """Group records (oldest first) into same-editor bursts, oldest first.

    A change ("~") joins the burst before it when that burst's last record is also a
    change, by the same user (no user, i.e. changes from code, counts as one user), at
    most ``window_seconds`` earlier. The window slides: each save is compared with the
    one before it. Creations ("+") and deletions ("-") are always a row of their own, and
    another user's save always ends a burst, so each row says truthfully who did it.
    ``window_seconds <= 0`` makes every record its own row.
    """
    window = timedelta(seconds=window_seconds)
    bursts: list[list[RecordKey]] = []
    for record in records:
        last = bursts[-1][-1] if bursts else None
        if (
            last is not None
            and window_seconds > 0
            and record.history_type == "~"
            and last.history_type == "~"
            and record.history_user_id == last.history_user_id
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
    #: "added", "changed", "deleted" (or "added and deleted" within one burst).
    kind: str
    changes: list[ModelChange]


@dataclass
class SaveEntry:
    """One save: the object's record, its own field changes and its variants' changes."""

    record: HistoricalChanges
    changes: list[ModelChange]
    variants: list[VariantDelta]


@dataclass
class BurstRow:
    """One row of the History page: one save, or a burst of them by one editor."""

    #: Newest first, as the page lists them.
    saves: list[SaveEntry]
    #: The whole change of the burst: the record before it against its last record.
    changes: list[ModelChange]
    variants: list[VariantDelta] = field(default_factory=list)

    @property
    def record(self) -> HistoricalChanges:
        """The burst's last record: what the row links to (its version page, revert)."""
        return self.saves[0].record

    @property
    def first_date(self) -> datetime:
        return self.saves[-1].record.history_date

    @property
    def is_burst(self) -> bool:
        return len(self.saves) > 1


def _changes(new: HistoricalChanges, old: HistoricalChanges | None) -> list[ModelChange]:
    """Field changes from ``old`` to ``new``, leaving out what no editor could have made.

    The admin's forms strip leading and trailing spaces, so a value that differs only
    there (rows written by code or a seed before the seed was normalised) was not an
    editor's change and is not shown as one.
    """
    if old is None:
        return []
    delta = new.diff_against(old, foreign_keys_are_objs=True)
    return [c for c in delta.changes if not _only_spaces_differ(c.old, c.new)]


def _only_spaces_differ(old: object, new: object) -> bool:
    if not (isinstance(old, str) and isinstance(new, str)):
        return False
    return old != new and old.strip() == new.strip()


class _VariantHistory:
    """The variant records of one product's saves on a page, with their predecessors."""

    def __init__(self, product_id: int, records: list[HistoricalChanges]) -> None:
        keys = {(r.history_date, r.history_user_id) for r in records}
        dates = {date for date, _ in keys}
        matched = list(
            Variant.history.filter(product_id=product_id, history_date__in=dates).order_by(
                "history_date", "history_id"
            )
        )
        self.by_save: dict[tuple[datetime, int | None], list[Any]] = {}
        for rec in matched:
            key = (rec.history_date, rec.history_user_id)
            if key in keys:
                self.by_save.setdefault(key, []).append(rec)
        # Every earlier record of the touched variants, for the state before a save.
        touched = {rec.id for recs in self.by_save.values() for rec in recs}
        self.timeline: dict[int, list[Any]] = {}
        if touched:
            latest = max(rec.history_date for recs in self.by_save.values() for rec in recs)
            for rec in Variant.history.filter(id__in=touched, history_date__lte=latest).order_by(
                "history_date", "history_id"
            ):
                self.timeline.setdefault(rec.id, []).append(rec)

    def of_save(self, record: HistoricalChanges) -> list[Any]:
        return self.by_save.get((record.history_date, record.history_user_id), [])

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
        changes = _changes(last, self.before(first))
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

    ``records`` is the object's history (any order). With ``product_id``, each product
    save also shows what it changed in the product's variants. A fixed number of queries
    whatever the history's length: one light read of every record to group and paginate,
    one for the page's full records, and two for the variants of a product.
    """
    keys = [
        RecordKey(*row)
        for row in records.order_by("history_date", "history_id").values_list(
            "history_id", "history_date", "history_user_id", "history_type"
        )
    ]
    bursts = history_bursts(keys, window_seconds=window_seconds)
    # A burst's predecessor is the record just before its first one.
    index = {key.history_id: n for n, key in enumerate(keys)}
    page = Paginator(list(reversed(bursts)), per_page).get_page(page_number)
    wanted: set[int] = set()
    for burst in page.object_list:
        wanted.update(key.history_id for key in burst)
        position = index[burst[0].history_id]
        if position:
            wanted.add(keys[position - 1].history_id)
    full = {
        r.history_id: r
        for r in records.filter(history_id__in=wanted)
        .select_related("history_user")
        # Registry: config.upstream "django-simple-history tracked objects".
        ._select_related_history_tracked_objs()
    }
    variants = (
        _VariantHistory(product_id, [full[key.history_id] for b in page.object_list for key in b])
        if product_id is not None
        else None
    )
    rows = []
    for burst in page.object_list:
        chain = [full[key.history_id] for key in burst]
        position = index[burst[0].history_id]
        before = full[keys[position - 1].history_id] if position else None
        saves = []
        for n, record in enumerate(chain):
            prior = chain[n - 1] if n else before
            own = variants.deltas(variants.of_save(record)) if variants else []
            changes = _changes(record, prior) if record.history_type == "~" else []
            saves.append(SaveEntry(record=record, changes=changes, variants=own))
        burst_variants = (
            variants.deltas([rec for record in chain for rec in variants.of_save(record)])
            if variants
            else []
        )
        rows.append(
            BurstRow(
                saves=list(reversed(saves)),
                changes=_changes(chain[-1], before) if chain[-1].history_type == "~" else [],
                variants=burst_variants,
            )
        )
    return page, rows
