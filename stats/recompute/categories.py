"""Category statistics: figures over each category's whole subtree, rolled up in one pass.

Rolled up from each category's own figures (``CategoryDirectStats``): the figures of the
categories asked for are computed from the catalog, every other category's are read from
their rows (computed then, the first time a category has none). So a refresh after an
editor's save reads the products of that product's category, not of the whole subtree
above it: at 1,000,000 products the refresh after any save read every product and
variant (a top-level category is an ancestor of most of the catalog).

Prices are rolled up per currency (``CategoryPriceRange``): a subtree mixes currencies and
no range ever spans two of them.

Computed from the catalog tables (not from product statistics). Their rows are locked
before the catalog is read, so of two overlapping recomputes the later one reads what the
earlier one read or newer, and a slower, older computation never overwrites a fresher one.
"""

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from catalog.models import Product, Variant
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
from stats.recompute.sql import db_datetime, placeholders, table, upsert_rows

#: Per currency, the lowest and the highest price: ``{"EUR": (min, max)}``.
Prices = dict[str, tuple[Decimal, Decimal]]
#: The figures of a category's own products that add up (its prices are kept apart).
_DIRECT_COUNTS = ("product_count", "published_count", "draft_count", "total_stock")


@transaction.atomic
def category_stats_recompute(*, category_ids: Iterable[int]) -> int:
    """Recompute the categories and all their ancestors; return how many rows were written.

    For changes a product recompute cannot see: a category moved to another parent (call
    it with the old and the new parent), a product deleted (with its last category).
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
    written = category_stats_write(category_ids=set(marks), now=timezone.now())
    still_current = Q()
    for category_id, token in marks.items():
        still_current |= Q(category_id=category_id, token=token)
    CategoryStaleness.objects.filter(still_current).delete()
    return written


@transaction.atomic
def category_stats_recompute_all() -> int:
    """Recompute every category (after a bulk import, or as a nightly consistency pass)."""
    return category_stats_write(category_ids=None, now=timezone.now())


def category_stats_write(*, category_ids: set[int] | None, now: datetime) -> int:
    """Write CategoryStats for ``category_ids`` plus ancestors (None: every category)."""
    tree = category_tree()
    targets = set(tree) if category_ids is None else category_with_ancestors(category_ids, tree)
    if not targets:
        return 0
    # Lock the existing rows, then create the missing ones (id order both times), before
    # reading the catalog: see the module docstring.
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
    scope = category_subtrees(targets, tree)
    direct = _direct_figures(scope, changed=category_ids, now=now)
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


def _direct_figures(
    scope: set[int], *, changed: set[int] | None, now: datetime
) -> dict[int, dict[str, Any]]:
    """Every ``scope`` category's own figures: computed for the ``changed`` ones (None:
    all) and those without a row, and written back; read from their rows for the others."""
    stored = {
        row.category_id: _direct_from_row(row)
        for row in CategoryDirectStats.objects.filter(category_id__in=scope).exclude(
            category_id__in=scope if changed is None else changed
        )
    }
    compute = scope - set(stored)
    if not compute:
        return stored
    computed = _direct_category_figures(compute, whole_tree=changed is None)
    fresh = {cid: computed.get(cid, {}) for cid in compute}
    computed_at = db_datetime(now, CategoryDirectStats)
    upsert_rows(
        CategoryDirectStats,
        ["category_id", *_DIRECT_COUNTS, "prices", "computed_at"],
        [
            (
                cid,
                *(figures.get(name) or 0 for name in _DIRECT_COUNTS),
                json.dumps(
                    {
                        c: [str(low), str(high)]
                        for c, (low, high) in figures.get("prices", {}).items()
                    }
                ),
                computed_at,
            )
            for cid, figures in sorted(fresh.items())
        ],
        key="category_id",
        update=[*_DIRECT_COUNTS, "prices", "computed_at"],
    )
    return stored | fresh


def _direct_from_row(row: CategoryDirectStats) -> dict[str, Any]:
    figures: dict[str, Any] = {name: getattr(row, name) for name in _DIRECT_COUNTS}
    figures["prices"] = {c: (Decimal(low), Decimal(high)) for c, (low, high) in row.prices.items()}
    return figures


def _direct_category_figures(scope: set[int], *, whole_tree: bool) -> dict[int, dict[str, Any]]:
    """Figures of the products sitting directly in each category: two grouped queries."""
    products = Product.objects.filter(category__isnull=False).order_by()
    variants = Variant.objects.filter(product__category__isnull=False).order_by()
    if not whole_tree:
        products = products.filter(category_id__in=scope)
        variants = variants.filter(product__category_id__in=scope)
    direct: dict[int, dict[str, Any]] = {}
    for row in products.values("category_id").annotate(
        product_count=Count("id"),
        published_count=Count("id", filter=Q(status=Product.Status.PUBLISHED)),
        draft_count=Count("id", filter=Q(status=Product.Status.DRAFT)),
    ):
        direct[row.pop("category_id")] = row
    # One row per category and currency: the prices stay apart, the stock adds up.
    for row in variants.values("product__category_id", "currency").annotate(
        price_min=Min("price"), price_max=Max("price"), total_stock=Sum("stock")
    ):
        into = direct.setdefault(row["product__category_id"], {})
        into["total_stock"] = into.get("total_stock", 0) + (row["total_stock"] or 0)
        into.setdefault("prices", {})[row["currency"]] = (row["price_min"], row["price_max"])
    return direct


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
