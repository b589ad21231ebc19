"""Pages of the product list read from an index in order: by offset near the top, by key deeper.

``?p=10000`` makes the database read and throw away 499,950 rows before the page's 50
(an OFFSET grows with the page number). "Next" and "Previous" instead carry the key of
the page's last (first) row: ``?_after=<key>`` reads the 50 rows after it off the same
index, so the 10,000th page costs what the first does. The numbered pages stay for the
first pages, up to the exact-count threshold (``CATALOG_LIST_EXACT_COUNT_UP_TO`` rows:
200 pages of 50), where the offset is bounded.

An order pages this way when it is a list of **segments**: rows matching a condition, in
an order an index serves, one segment after the other. The default order is one segment
(``updated_at``, ``id``: the ``product_updated`` index). A column's order can say its own
through ``KeysetNullsLast`` (stats' completeness: the products with statistics, read
off the statistics' index, then those without, newest first). Any other order (several
columns, a column without such an ordering) keeps Django's numbered pages.

A key is ``<segment>~<value>~<value>``: the segment's number and the row's values of its
fields, as text the field reads back (a bad key is a bad address: the admin's usual
redirect to the whole list).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, OrderBy, Q, QuerySet

#: The query parameters of a keyset page.
AFTER = "_after"
BEFORE = "_before"
SEPARATOR = "~"


@dataclass(frozen=True)
class Segment:
    """Rows matching ``condition``, ordered by ``fields``: (lookup, descending) pairs."""

    condition: Q
    fields: tuple[tuple[str, bool], ...]

    def reversed(self) -> "Segment":
        return Segment(self.condition, tuple((name, not desc) for name, desc in self.fields))

    def order_by(self) -> list[str]:
        return [f"-{name}" if desc else name for name, desc in self.fields]

    def after(self, values: Sequence[Any]) -> Q:
        """Rows strictly after ``values`` in this order (first field first, as the index)."""
        first, first_desc = self.fields[0]
        bound = Q(**{f"{first}__{'lte' if first_desc else 'gte'}": values[0]})
        later = Q()
        for i, (name, desc) in enumerate(self.fields):
            equal = {f"{n}": v for (n, _), v in zip(self.fields[:i], values[:i], strict=True)}
            later |= Q(**equal, **{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        return bound & later


#: An order as segments, read one after the other.
KeysetOrder = tuple[Segment, ...]


class NullsLast(F):
    """A column's sort order that puts rows without the value last, ascending or not.

    Django's admin reverses an ``OrderBy`` for the descending order, nulls and all, so
    ``F(...).asc(nulls_last=True)`` would put the rows without the value first when
    sorted the other way; this builds each direction itself.
    """

    def asc(self, **kwargs: Any) -> OrderBy:
        return OrderBy(F(self.name), nulls_last=True)

    def desc(self, **kwargs: Any) -> OrderBy:
        return OrderBy(F(self.name), descending=True, nulls_last=True)


class KeysetNullsLast(NullsLast):
    """A ``NullsLast`` ordering that pages by key: rows with the value, then those without.

    ``ordering=KeysetNullsLast("stats__completeness", tiebreak="stats__product_id")``
    on an ``@admin.display``. The product list reads the rows with the value off an
    index on (value, tiebreak descending), which the owning app declares; the rows
    without come after, newest first, in either direction.
    """

    def __init__(self, name: str, *, tiebreak: str) -> None:
        super().__init__(name)
        self.tiebreak = tiebreak

    def segments(self, descending: bool) -> KeysetOrder:
        with_value = Segment(
            Q(**{f"{self.name}__isnull": False}),
            ((self.name, descending), (self.tiebreak, not descending)),
        )
        without = Segment(Q(**{f"{self.name}__isnull": True}), (("id", True),))
        return (with_value, without)


def key_encode(segment: int, values: Sequence[Any]) -> str:
    text = [v.isoformat() if isinstance(v, datetime) else str(v) for v in values]
    return SEPARATOR.join([str(segment), *text])


def key_decode(key: str, order: KeysetOrder) -> tuple[int, list[str]]:
    """The segment and values of ``key``; ValueError if it is not a key of ``order``."""
    head, *values = key.split(SEPARATOR)
    segment = int(head)
    if not 0 <= segment < len(order) or len(values) != len(order[segment].fields):
        raise ValueError(f"not a key of this order: {key!r}")
    return segment, values


def _read(queryset: QuerySet, segment: Segment, condition: Q, limit: int) -> list[tuple]:
    names = [name for name, _ in segment.fields]
    try:
        return list(
            queryset.filter(segment.condition, condition)
            .order_by(*segment.order_by())
            .values_list("pk", *names)[:limit]
        )
    except ValidationError as exc:  # a key value the field cannot read (a date edited by hand)
        raise ValueError(str(exc)) from exc


@dataclass
class KeysetPage:
    """The page's ids, and the keys of its first and last rows (None: nothing that way)."""

    ids: list[int]
    previous_key: str | None
    next_key: str | None


def keyset_page(
    queryset: QuerySet,
    order: KeysetOrder,
    *,
    per_page: int,
    after: str | None = None,
    before: str | None = None,
    offset: int = 0,
) -> KeysetPage:
    """One page of ``queryset`` in ``order``: after/before a key, else at ``offset``."""
    forward = before is None
    segments = order if forward else tuple(s.reversed() for s in reversed(order))
    key = after if forward else before
    start, condition = 0, Q()
    if key is not None:
        number, values = key_decode(key, order)
        start = number if forward else len(order) - 1 - number
        condition = segments[start].after(values)
    found: list[tuple[int, tuple]] = []  # (segment number in ``order``, row)
    skip = offset
    for i in range(start, len(segments)):
        want = per_page + 1 - len(found)
        rows = _read(queryset, segments[i], condition if i == start else Q(), skip + want)
        number = i if forward else len(order) - 1 - i
        if skip:
            # Numbered pages only (no key): an offset bounded by the count threshold.
            passed = min(skip, len(rows))
            rows, skip = rows[passed:], skip - passed
        found.extend((number, row) for row in rows)
        if len(found) > per_page:
            break
    more = len(found) > per_page
    found = found[:per_page]
    if not forward:
        found.reverse()
    keys = [key_encode(number, row[1:]) for number, row in found]
    first_page = key is None and offset == 0
    return KeysetPage(
        ids=[row[0] for _, row in found],
        previous_key=None
        if not keys or (forward and first_page) or (not forward and not more)
        else keys[0],
        next_key=None if not keys or (forward and not more) else keys[-1],
    )
