"""Walks of the category tree that end on any data: cycle-safe and depth-bounded.

The save path refuses a cycle and a tree deeper than ``CATALOG_CATEGORY_MAX_DEPTH``
(``catalog.services.category_save``), yet a walk must still end on data that slipped
past it (a raw UPDATE, an import, rows written before the check existed): a request
that loops takes a web thread for good. So every walk here remembers what it visited
and stops after a bounded number of steps, whatever the rows say.

The walks take their reads as functions (``parent_of``, ``children_of``) so that the
same rules serve a form's quick check (plain reads), the save's check under the tree
lock (locking reads) and the statistics (a dict of the whole tree). This module reads no
table itself and imports no model.
"""

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings

#: One step up: the parent id of a category (None at the top, or for an unknown id).
ParentOf = Callable[[int], int | None]
#: One level down: the ids of the children of the given categories.
ChildrenOf = Callable[[Collection[int]], Iterable[int]]

CYCLE_MESSAGE = (
    "A category cannot go inside itself or one of its own subcategories: pick another parent."
)


def max_depth() -> int:
    """The deepest level a category may sit at (a top-level category is level 1)."""
    return int(settings.CATALOG_CATEGORY_MAX_DEPTH)


@dataclass(frozen=True)
class Ancestry:
    """What a walk up from one category found."""

    #: The start, its parent, ... up to the top (or to where the walk stopped).
    chain: tuple[int, ...]
    #: The walk met a category it had already seen: the data holds a cycle.
    loops: bool
    #: The walk stopped after ``limit`` categories without reaching the top.
    truncated: bool


def category_ancestry(start: int, parent_of: ParentOf, *, limit: int) -> Ancestry:
    """Walk up from ``start``: at most ``limit`` categories, each at most once."""
    chain: list[int] = []
    seen: set[int] = set()
    node: int | None = start
    while node is not None:
        if node in seen:
            return Ancestry(tuple(chain), loops=True, truncated=False)
        if len(chain) >= limit:
            return Ancestry(tuple(chain), loops=False, truncated=True)
        seen.add(node)
        chain.append(node)
        node = parent_of(node)
    return Ancestry(tuple(chain), loops=False, truncated=False)


def category_levels(
    roots: Iterable[int], children_of: ChildrenOf, *, limit: int
) -> Iterator[set[int]]:
    """The levels below ``roots``, one set of ids at a time: at most ``limit`` levels.

    One ``children_of`` call per level, each category visited once: a cycle or a very
    deep subtree in bad data ends the walk.
    """
    seen = set(roots)
    level = set(seen)
    for _ in range(limit):
        level = set(children_of(level)) - seen
        if not level:
            return
        seen |= level
        yield level


def category_levels_below(root: int, children_of: ChildrenOf, *, limit: int) -> int:
    """How many levels hang below ``root`` (0 for a leaf), counted up to ``limit``."""
    return sum(1 for _ in category_levels([root], children_of, limit=limit))


def category_parent_problem(
    *,
    category_id: int | None,
    parent_id: int | None,
    parent_of: ParentOf,
    children_of: ChildrenOf,
    limit: int | None = None,
) -> str | None:
    """Why ``category_id`` may not hang under ``parent_id`` (None: it may).

    Refused: a parent that is the category itself or one of its descendants (a cycle),
    a parent whose own ancestors loop (bad data: the category would hang off a cycle),
    and a move that would put the category or anything below it deeper than ``limit``
    levels. ``category_id`` is None for a category not saved yet (nothing below it).
    """
    if parent_id is None:
        return None
    limit = max_depth() if limit is None else limit
    if parent_id == category_id:
        return CYCLE_MESSAGE
    # One more than the limit: a parent at level ``limit`` is found, and refused below.
    above = category_ancestry(parent_id, parent_of, limit=limit + 1)
    if category_id is not None and category_id in above.chain:
        return CYCLE_MESSAGE
    if above.loops:
        return (
            "The categories above the chosen parent loop back on themselves: give one of "
            "them another parent first, then pick this parent again."
        )
    below = 0
    if category_id is not None and len(above.chain) < limit:
        below = category_levels_below(category_id, children_of, limit=limit)
    deepest = len(above.chain) + 1 + below
    if above.truncated or deepest > limit:
        return (
            f"Categories can be at most {limit} levels deep: under this parent, "
            f"{'this category' if below == 0 else 'the categories below this one'} "
            f"would be deeper. Pick a parent higher up."
        )
    return None
