"""Category statistics: figures over each category's whole subtree, rolled up in one pass.

Rolled up from each category's own figures (``CategoryDirectStats``), which product
recomputes keep current by difference (``stats.recompute.own_figures``). The refresh of
marked categories (``category_stats_refresh_stale``: after a batch, the sweep, a bulk
chunk) reads the catalog only for own figures that are missing or marked stale; an
explicit ``category_stats_recompute`` also rebuilds those of the categories it is asked
about, and ``category_stats_recompute_all`` every category's (the repair path). At
1,000,000 products the refresh after a sweep spread over every leaf re-read every product
and variant.

Prices are rolled up per currency (``CategoryPriceRange``): a subtree mixes currencies and
no range ever spans two of them.

Own figures are rebuilt from the catalog tables. The rows are locked before the catalog is
read, so of two overlapping recomputes the later one reads what the earlier one read or
newer, and a slower, older computation never overwrites a fresher one.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.selectors import (
    Tree,
    category_subtrees,
    category_tree,
    category_with_ancestors,
)
from catalog.tree import category_ancestry, max_depth
from stats.figures import CATEGORY_FIGURES
from stats.recompute.models import (
    CategoryDirectStats,
    CategoryPriceRange,
    CategoryStaleness,
    CategoryStats,
)
from stats.recompute.own_figures import (
    OWN_COUNTS,
    Prices,
    own_figures_lock,
    own_figures_rebuild,
    own_figures_store,
)
from stats.recompute.sql import db_datetime, placeholders, table, upsert_rows


@transaction.atomic
def category_stats_recompute(*, category_ids: Iterable[int]) -> int:
    """Recompute the categories and all their ancestors; return how many rows were written.

    For changes a product recompute cannot see: a category moved to another parent (call
    it with the old and the new parent), a product deleted (with its last category). The
    own figures of ``category_ids`` are rebuilt from the catalog (a repair, bounded by
    their products); their ancestors' roll up from the others' rows.
    """
    return category_stats_write(category_ids=set(category_ids), now=timezone.now())


@transaction.atomic
def category_stats_refresh_stale() -> int:
    """Recompute the categories marked stale (and their ancestors); clear those marks.

    A mark re-set while this runs has a new token and survives for the next refresh.
    """
    marks = dict(CategoryStaleness.objects.values_list("category_id", "token"))
    if not marks:
        return 0
    written = category_stats_write(category_ids=set(marks), now=timezone.now(), rebuild=False)
    still_current = Q()
    for category_id, token in marks.items():
        still_current |= Q(category_id=category_id, token=token)
    CategoryStaleness.objects.filter(still_current).delete()
    return written


@transaction.atomic
def category_stats_recompute_all() -> int:
    """Recompute every category, every own figure rebuilt from the catalog: the repair
    after writes that bypassed the marks (a bulk import, a nightly consistency pass)."""
    return category_stats_write(category_ids=None, now=timezone.now())


def category_stats_write(
    *, category_ids: set[int] | None, now: datetime, rebuild: bool = True
) -> int:
    """Write CategoryStats for ``category_ids`` plus ancestors (None: every category).

    ``rebuild``: the own figures of ``category_ids`` (None: of every category) are rebuilt
    from the catalog, the repair path; otherwise only those missing or marked ``stale``
    are, and every other category's are read from their rows, kept by difference
    (``stats.recompute.own_figures``): the refresh after a sweep spread over every leaf
    reads no product or variant.
    """
    tree = category_tree()
    targets = set(tree) if category_ids is None else category_with_ancestors(category_ids, tree)
    if not targets:
        return 0
    scope = category_subtrees(targets, tree)
    asked = (set(tree) if category_ids is None else category_ids & scope) if rebuild else set()
    # Own-figures rows to rebuild first, then CategoryStats rows (existing ones locked, missing
    # ones created, in id order), before reading the catalog: see the module docstring and
    # ``own_figures`` for the lock order.
    stored, renew = _own_figures_read(scope, asked=asked, now=now)
    existing = set(
        CategoryStats.objects.select_for_update()
        .filter(category_id__in=targets)
        .order_by("category_id")
        .values_list("category_id", flat=True)
    )
    if targets - existing:
        CategoryStats.objects.bulk_create(
            [CategoryStats(category_id=cid, computed_at=now) for cid in sorted(targets - existing)],
            ignore_conflicts=True,
        )
    whole_tree = renew >= set(tree)  # one pass over the catalog, not IN (every category)
    direct = stored | _own_figures_rebuilt(renew, whole_tree=whole_tree, now=now)
    totals = _subtree_totals(targets, tree, direct)
    computed_at = db_datetime(now, CategoryStats)
    upsert_rows(
        CategoryStats,
        ["category_id", *CATEGORY_FIGURES, "computed_at"],
        [
            (cid, *(totals[cid][name] for name in CATEGORY_FIGURES), computed_at)
            for cid in sorted(targets)
        ],
        key="category_id",
        update=[*CATEGORY_FIGURES, "computed_at"],
    )
    _price_ranges_write(targets, {cid: totals[cid]["prices"] for cid in targets})
    return len(targets)


def _price_ranges_write(targets: set[int], prices: dict[int, Prices]) -> None:
    """Replace the targets' price ranges: one DELETE, one INSERT (none if no prices).

    Two statements more per recompute than when a category had one range, whatever the
    number of categories; the CategoryStats row locks taken above serialise writers.
    """
    connection = connections[router.db_for_write(CategoryPriceRange)]
    ordered = sorted(targets)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table(CategoryPriceRange)} "
            f"WHERE category_id IN ({placeholders(ordered)})",
            ordered,
        )
    CategoryPriceRange.objects.bulk_create(
        [
            CategoryPriceRange(category_id=cid, currency=currency, price_min=low, price_max=high)
            for cid in ordered
            for currency, (low, high) in sorted(prices[cid].items())
        ]
    )


def _own_figures_read(
    scope: set[int], *, asked: set[int], now: datetime
) -> tuple[dict[int, dict[str, Any]], set[int]]:
    """The current own figures of ``scope``, and which to rebuild (locked here): those
    ``asked`` for, those marked stale and those without a row."""
    current = {
        row.category_id: _direct_from_row(row)
        for row in CategoryDirectStats.objects.filter(category_id__in=scope, stale=False)
    }
    renew = (scope - set(current)) | asked
    own_figures_lock(renew, now=now)
    return {cid: figures for cid, figures in current.items() if cid not in renew}, renew


def _own_figures_rebuilt(
    renew: set[int], *, whole_tree: bool, now: datetime
) -> dict[int, dict[str, Any]]:
    """Rebuild the own figures of ``renew`` from the catalog and store them."""
    if not renew:
        return {}
    computed = own_figures_rebuild(renew, whole_tree=whole_tree)
    fresh = {cid: computed.get(cid, {}) for cid in renew}
    own_figures_store(fresh, now=now)
    return fresh


def _direct_from_row(row: CategoryDirectStats) -> dict[str, Any]:
    figures: dict[str, Any] = {name: getattr(row, name) for name in OWN_COUNTS}
    figures["prices"] = {c: (Decimal(low), Decimal(high)) for c, (low, high) in row.prices.items()}
    return figures


def _subtree_totals(
    targets: set[int], tree: Tree, direct: dict[int, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Roll the direct figures up the tree: a node's total is its own plus its subtree's.

    Each category's own figures are added to it and to every target above it, found by
    ``catalog.tree``'s walk up: at most ``CATALOG_CATEGORY_MAX_DEPTH`` categories, each
    once, like every walk of the tree. So bad data written past the save's checks (a
    cycle, a chain deeper than the bound) ends the roll-up: a cycle's categories count
    each other's products once, and a category more levels below than the bound counts
    towards those nearest it only. Counts, sums, minima and maxima combine exactly, so
    nothing is ever an average of averages.
    """
    limit = max_depth()
    totals: dict[int, dict[str, Any]] = {}
    for node in targets:
        totals[node] = {name: None for name in CATEGORY_FIGURES} | {"prices": {}}
        _combine(totals[node], {})  # counts and sums start at 0
    for category_id, figures in direct.items():
        for node in category_ancestry(category_id, tree.get, limit=limit).chain:
            if node in totals:
                _combine(totals[node], figures)
    return totals


def _combine(into: dict[str, Any], part: dict[str, Any]) -> None:
    """Counts and sums add up (absent is 0); minima and maxima pick, within a currency."""
    for name in ("product_count", "published_count", "draft_count", "total_stock"):
        into[name] = (into[name] or 0) + (part.get(name) or 0)
    prices: Prices = into["prices"]
    for currency, (low, high) in part.get("prices", {}).items():
        known = prices.get(currency)
        if known is not None:
            low, high = min(known[0], low), max(known[1], high)
        prices[currency] = (low, high)
