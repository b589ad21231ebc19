"""Each category's own figures (``CategoryDirectStats``): kept by difference, rebuilt to repair.

By difference (``own_figures_apply``), on every product recompute: the share of the
statistics row being replaced (its category, status, stock, prices) is subtracted and the
new row's share added, in the recompute's transaction. The old rows are read under their
lock before the upsert (``old_shares_lock``), and the own-figures rows are locked
(``SELECT ... FOR UPDATE``, category id order) before they are written, so two workers
recomputing at once never lose a difference: the second reads what the first wrote. Counts
and the stock add up; a price range only widens, and is recomputed from the category's
products only when a product that held an extreme left it or moved it inwards (or a product
has several currencies, whose prices its row does not hold).

From scratch (``own_figures_rebuild``): from the catalog, the existing path, for a row that
is missing or marked ``stale``, for the categories ``category_stats_recompute`` is asked
about, and for every category in ``category_stats_recompute_all`` (``recompute_stats
--all --in-process``). The end of a whole-catalog bulk run (the nightly one) marks every
category's row ``stale`` (``stats.bulk.services``), so a write that bypassed the marks
is repaired by the next refresh after it. A rebuild must count for each product
what its next recompute will subtract, so it counts:

- a product whose statistics are current (same version), or that has none yet, from the
  catalog (its catalog rows and its statistics agree, so nothing is subtracted twice);
- a product whose statistics an edit has overtaken (marked stale, and its version moved
  on), from its statistics row, at the row's category (its recompute subtracts exactly
  that). Found through the stale marks, so a rebuild reads the catalog as it did before
  and the statistics rows of marked products only. A write that moved a version on
  without a mark bypassed the statistics: ``recompute_stats --all --in-process``
  recomputes the products, then rebuilds every category's own figures.

A product computed for the first time has no row to subtract, and a rebuild may already have
counted it from the catalog: its category is marked ``stale`` instead of being added to.
A deleted product marks its categories ``stale`` in the delete's transaction
(``stats.receivers``).

Lock order: product statistics rows, then own-figures rows, then ``CategoryStats`` rows, each
in id order (a refresh locks the own-figures rows it rebuilds before its ``CategoryStats``).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connections, router

from catalog.models import Product, Variant
from stats.recompute.models import CategoryDirectStats, ProductStaleness, ProductStats
from stats.recompute.sql import (
    db_datetime,
    db_decimal,
    placeholders,
    select_locked,
    table,
    upsert_rows,
)

#: Per currency, the lowest and the highest price: ``{"EUR": (min, max)}``.
Prices = dict[str, tuple[Decimal, Decimal]]
#: The figures of a category's own products that add up (its prices are kept apart).
OWN_COUNTS = ("product_count", "published_count", "draft_count", "total_stock")


#: The product statistics columns a row's share is made of (``share``'s arguments).
SHARE_COLUMNS = (
    "category_id",
    "status",
    "total_stock",
    "currency",
    "price_min",
    "price_max",
    "variant_count",
)


@dataclass(frozen=True, slots=True)
class Share:
    """What one product statistics row counts in its category's own figures."""

    category_id: int
    status: str
    total_stock: int
    currency: str
    price_min: Decimal | None
    price_max: Decimal | None
    #: Variants in several currencies: the row holds no prices (``stats.figures``).
    mixed: bool


def share(
    *,
    category_id: int | None,
    status: str,
    total_stock: int,
    currency: str,
    price_min: Decimal | None,
    price_max: Decimal | None,
    variant_count: int,
) -> Share | None:
    """A statistics row's share; None for a product without a category (counted nowhere)."""
    if category_id is None:
        return None
    return Share(
        category_id=category_id,
        status=status,
        total_stock=int(total_stock or 0),
        currency=currency or "",
        price_min=db_decimal(price_min),
        price_max=db_decimal(price_max),
        mixed=not currency and variant_count > 0,
    )


def old_shares_lock(product_ids: list[int]) -> dict[int, Share | None]:
    """The shares of the products' statistics rows, locked until the transaction ends.

    A product absent from the answer has no row yet (its first statistics). Read before the
    upsert that replaces the rows: a concurrent recompute of the same product waits here and
    then reads what the first one wrote.
    """
    if not product_ids:
        return {}
    connection = connections[router.db_for_write(ProductStats)]
    columns = ", ".join(("product_id", *SHARE_COLUMNS))
    with connection.cursor() as cursor:
        rows = select_locked(cursor, ProductStats, columns, product_ids)
    return {row[0]: share(**dict(zip(SHARE_COLUMNS, row[1:], strict=True))) for row in rows}


def own_figures_apply(
    *, old: dict[int, Share | None], new: dict[int, Share | None], now: datetime
) -> None:
    """Subtract each product's ``old`` share and add its ``new`` one (``new`` names every
    product recomputed; a product missing from ``old`` had no row: see the module docstring)."""
    removed: dict[int, list[Share]] = {}
    added: dict[int, list[Share]] = {}
    first: set[int] = set()
    for product_id, after in new.items():
        if product_id not in old:
            if after is not None:
                first.add(after.category_id)
            continue
        before = old[product_id]
        if before == after and not (after is not None and after.mixed):
            continue  # a mixed product's row holds no prices: they may have changed
        if before is not None:
            removed.setdefault(before.category_id, []).append(before)
        if after is not None:
            added.setdefault(after.category_id, []).append(after)
    touched = sorted(set(removed) | set(added) | first)
    if not touched:
        return
    rows = _own_rows_lock(touched, now=now)
    reprice = []
    updates = {}
    for category_id, row in rows.items():
        if row["stale"]:
            continue  # the next refresh rebuilds it: nothing to keep by difference
        if category_id in first:
            updates[category_id] = row | {"stale": True}
            continue
        gone, came = removed.get(category_id, []), added.get(category_id, [])
        for name in OWN_COUNTS:
            row[name] += sum(_count(s, name) for s in came) - sum(_count(s, name) for s in gone)
        if any(row[name] < 0 for name in OWN_COUNTS):
            # Only a write that bypassed the version (see the module docstring) gets here.
            updates[category_id] = row | {"stale": True}
            continue
        if _range_narrows(row["prices"], gone, came):
            reprice.append(category_id)
        else:
            row["prices"] = _widened(row["prices"], came)
        updates[category_id] = row
    if reprice:
        prices = own_figures_rebuild(set(reprice), whole_tree=False, prices_only=True)
        for category_id in reprice:
            updates[category_id]["prices"] = prices.get(category_id, {}).get("prices", {})
    _own_rows_write(updates, now=now)


def _count(part: Share, name: str) -> int:
    if name == "product_count":
        return 1
    if name == "published_count":
        return int(part.status == Product.Status.PUBLISHED)
    if name == "draft_count":
        return int(part.status == Product.Status.DRAFT)
    return part.total_stock


def _range_narrows(prices: Prices, gone: list[Share], came: list[Share]) -> bool:
    """Whether a removed share held an extreme that no added share reaches again."""
    if any(s.mixed for s in gone) or any(s.mixed for s in came):
        return True
    for part in gone:
        if not part.currency or part.price_min is None or part.price_max is None:
            continue
        low, high = prices.get(part.currency, (None, None))
        if low is None or high is None:
            return True  # a range the row never had: rebuild it rather than guess
        peers = [s for s in came if s.currency == part.currency and s.price_min is not None]
        if part.price_min <= low and not any(s.price_min <= low for s in peers):  # type: ignore[operator]
            return True
        if part.price_max >= high and not any(s.price_max >= high for s in peers):  # type: ignore[operator]
            return True
    return False


def _widened(prices: Prices, came: list[Share]) -> Prices:
    wider = dict(prices)
    for part in came:
        if not part.currency or part.price_min is None or part.price_max is None:
            continue
        low, high = wider.get(part.currency, (part.price_min, part.price_max))
        wider[part.currency] = (min(low, part.price_min), max(high, part.price_max))
    return wider


def _own_rows_lock(category_ids: list[int], *, now: datetime) -> dict[int, dict[str, Any]]:
    """The own-figures rows, locked in id order; a missing row is created ``stale``."""
    rows = _own_rows_select(category_ids)
    missing = {cid: {"stale": True} for cid in category_ids if cid not in rows}
    if missing:
        # An upsert, not INSERT IGNORE: a row a concurrent refresh created meanwhile is
        # marked stale too (its rebuild may not have seen this transaction's products).
        _own_rows_write(missing, now=now)
    return rows | missing


def _own_rows_select(category_ids: list[int]) -> dict[int, dict[str, Any]]:
    found = (
        CategoryDirectStats.objects.select_for_update()
        .filter(category_id__in=category_ids)
        .order_by("category_id")
        .values("category_id", *OWN_COUNTS, "prices", "stale")
    )
    rows = {}
    for row in found:
        category_id = row.pop("category_id")
        row["prices"] = {c: (Decimal(lo), Decimal(hi)) for c, (lo, hi) in row["prices"].items()}
        rows[category_id] = row
    return rows


def _own_rows_write(rows: dict[int, dict[str, Any]], *, now: datetime) -> None:
    computed_at = db_datetime(now, CategoryDirectStats)
    upsert_rows(
        CategoryDirectStats,
        ["category_id", *OWN_COUNTS, "prices", "stale", "computed_at"],
        [
            (
                cid,
                *(max(0, figures.get(name) or 0) for name in OWN_COUNTS),  # stale if < 0,
                json.dumps(
                    {c: [str(lo), str(hi)] for c, (lo, hi) in figures.get("prices", {}).items()}
                ),
                bool(figures.get("stale")),
                computed_at,
            )
            for cid, figures in sorted(rows.items())
        ],
        key="category_id",
        update=[*OWN_COUNTS, "prices", "stale", "computed_at"],
    )


def own_figures_mark_stale(*, category_ids: Iterable[int | None]) -> None:
    """Have the next refresh rebuild these categories' own figures (a product deleted)."""
    ids = sorted({cid for cid in category_ids if cid is not None})
    if ids:
        CategoryDirectStats.objects.filter(category_id__in=ids).update(stale=True)


def own_figures_lock(category_ids: Iterable[int], *, now: datetime) -> None:
    """Lock the rows a rebuild rewrites (creating missing ones), before it reads the catalog."""
    ids = sorted(set(category_ids))
    if ids:
        _own_rows_lock(ids, now=now)


def own_figures_store(rows: dict[int, dict[str, Any]], *, now: datetime) -> None:
    """Write rebuilt figures and clear their ``stale`` marks."""
    _own_rows_write({cid: figures | {"stale": False} for cid, figures in rows.items()}, now=now)


def own_figures_rebuild(
    scope: set[int], *, whole_tree: bool, prices_only: bool = False
) -> dict[int, dict[str, Any]]:
    """Figures of the products sitting directly in each category, from scratch.

    Each product counted where its next recompute will subtract it (the module docstring):
    a few grouped queries, by the category index for a scoped rebuild.
    """
    connection = connections[router.db_for_write(Product)]
    p, v, s, m = table(Product), table(Variant), table(ProductStats), table(ProductStaleness)
    # Overtaken: marked stale and its version moved on. Found through the marks (few) so
    # the catalog's rows are read as before; the statistics rows only for marked products.
    marked = f"LEFT JOIN ({m} m JOIN {s} s ON s.product_id = m.product_id) ON m.product_id = p.id"
    fresh = "(s.product_id IS NULL OR s.computed_version = p.version)"
    ids = sorted(scope)
    within = f"IN ({placeholders(ids)})"
    direct: dict[int, dict[str, Any]] = {}

    def rows(sql: str, params: list[Any]) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def add(cid: int, currency: str, stock: Any, low: Any, high: Any) -> None:
        """Stock adds up; prices stay per currency (none for a row without a currency)."""
        into = direct.setdefault(cid, {})
        if stock is not None:
            into["total_stock"] = into.get("total_stock", 0) + int(stock)
        if not currency or low is None:
            return
        prices = into.setdefault("prices", {})
        low, high = db_decimal(low), db_decimal(high)
        if currency in prices:
            low, high = min(prices[currency][0], low), max(prices[currency][1], high)
        prices[currency] = (low, high)

    if not prices_only:
        moved_away = (
            f"UNION ALL SELECT s.category_id, s.status "
            f"FROM {m} m JOIN {s} s ON s.product_id = m.product_id "
            f"JOIN {p} p ON p.id = s.product_id WHERE s.category_id {within} AND NOT {fresh} "
            f"AND (p.category_id IS NULL OR p.category_id NOT {within})"
        )
        sql = (
            "SELECT cat, COUNT(*), SUM(CASE WHEN st = %s THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN st = %s THEN 1 ELSE 0 END) FROM ("
            f"SELECT CASE WHEN {fresh} THEN p.category_id ELSE s.category_id END AS cat, "
            f"CASE WHEN {fresh} THEN p.status ELSE s.status END AS st "
            f"FROM {p} p {marked} "
            + ("" if whole_tree else f"WHERE p.category_id {within} {moved_away}")
            + ") x WHERE cat IS NOT NULL GROUP BY cat"
        )
        params: list[Any] = [Product.Status.PUBLISHED, Product.Status.DRAFT]
        params += [] if whole_tree else ids * 3
        for cid, count, published, draft in rows(sql, params):
            if whole_tree or cid in scope:
                direct[cid] = {
                    "product_count": int(count),
                    "published_count": int(published or 0),
                    "draft_count": int(draft or 0),
                }
    # Variants of the products counted from the catalog: one row per category and currency.
    where = f"WHERE {fresh}" + ("" if whole_tree else f" AND p.category_id {within}")
    for found in rows(
        f"SELECT p.category_id, v.currency, SUM(v.stock), MIN(v.price), MAX(v.price) "
        f"FROM {v} v JOIN {p} p ON p.id = v.product_id {marked} "
        f"{where} AND p.category_id IS NOT NULL GROUP BY p.category_id, v.currency",
        [] if whole_tree else ids,
    ):
        add(*found)
    # Products counted from their statistics rows (an edit overtook them).
    mixed = 0
    stats_rows = (
        f"FROM {m} m JOIN {s} s ON s.product_id = m.product_id JOIN {p} p ON p.id = s.product_id"
    )
    overtaken = "WHERE s.computed_version <> p.version AND s.category_id IS NOT NULL" + (
        "" if whole_tree else f" AND s.category_id {within}"
    )
    mixed = 0
    for cid, currency, stock, low, high, several in rows(
        f"SELECT s.category_id, s.currency, SUM(s.total_stock), MIN(s.price_min), "
        f"MAX(s.price_max), SUM(CASE WHEN s.currency = '' AND s.variant_count > 0 "
        f"THEN 1 ELSE 0 END) {stats_rows} {overtaken} GROUP BY s.category_id, s.currency",
        [] if whole_tree else ids,
    ):
        add(cid, currency, stock, low, high)
        mixed += int(several or 0)
    if mixed:  # their row holds no prices: their variants', per currency
        for cid, currency, low, high in rows(
            f"SELECT s.category_id, v.currency, MIN(v.price), MAX(v.price) "
            f"{stats_rows} JOIN {v} v ON v.product_id = s.product_id {overtaken} "
            f"AND s.currency = '' AND s.variant_count > 0 GROUP BY s.category_id, v.currency",
            [] if whole_tree else ids,
        ):
            add(cid, currency, None, low, high)
    return direct
