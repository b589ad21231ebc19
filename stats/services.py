"""Writes of the statistics: stale marks, the set-based recompute, and a per-product baseline.

How an editor's save reaches the statistics
-------------------------------------------
1. The save transaction calls ``product_stats_mark_stale`` *after* the product row is
   written (``post_save`` or later). The mark commits with the save or not at all, so a
   lost or failed task never loses a save: the periodic sweep
   (``stats.selectors.stale_products``) finds every mark nobody cleared.
2. A worker calls ``product_stats_recompute`` with a chunk of ids (a few hundred to a
   couple of thousand: one transaction, one statement of each kind per chunk).

Why a save that lands during a recompute is never lost or counted twice
-----------------------------------------------------------------------
A mark is ``(token, pending_saves)``. Marking inserts the row if missing (new random
token, ``stale_since`` = now; an existing row keeps its earlier ``stale_since``) and adds
one to ``pending_saves`` in the same UPDATE statement for every id, so concurrent marks
never overwrite each other.

A recompute reads the marks first (plain read), computes and writes the figures, and only
then, as its last step, locks the same marks (``SELECT ... FOR UPDATE``, id order) and
compares:

* same token, same count: nothing happened meanwhile, the mark is deleted;
* same token, higher count: saves landed during the recompute and the figures may not
  show them: only the counted saves are claimed (``pending_saves -= n``) and the mark
  stays, so the product is recomputed again;
* other token or no row: a concurrent recompute already claimed these saves (and a new
  save may have re-marked the product): nothing is claimed.

Claimed saves are added with ``save_count = save_count + CASE ... END`` in one UPDATE,
never read-modify-written, and because the claim happens under the row lock, two
recomputes of the same product (two batch workers, a redelivered message) cannot both
claim the same saves: the second one waits for the first to commit and then finds the mark
gone or re-created. The figures themselves are an upsert of values computed from the
catalog, so running a recompute twice, or twice at once, converges on the same rows.

Lock order, to stay deadlock-free with editors: a recompute takes product-stats rows, then
category-stats rows, then marks, each in id order; an editor's transaction writes the
product and then its mark, and never touches stats rows. Marking *before* the product row
is written would invert the order (the stats upsert's foreign-key check waits for the
product row lock). On MariaDB a deadlock or lock timeout is re-raised as
``OperationalError`` for the task to retry; the marks make that retry safe.

Category statistics are computed from the catalog tables (not from product statistics),
over each category's whole subtree. Their rows are locked before the catalog is read, so
of two overlapping recomputes the later one reads what the earlier one read or newer and a
slower, older computation can never overwrite a fresher one.
"""

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from django.conf import settings
from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.db.models import Count, Max, Min, Model, Q, Sum
from django.utils import timezone

from catalog.models import Category, Product, Variant
from stats import figures
from stats.models import (
    BatchFlush,
    CategoryStaleness,
    CategoryStats,
    ProductStaleness,
    ProductStats,
)
from stats.selectors import (
    category_stats_from_scratch,
    product_stats_from_scratch,
    stale_products,
)

logger = logging.getLogger(__name__)

_CENT = Decimal("0.01")

#: A category's figures, in the order ``_category_stats_write`` writes them.
_CATEGORY_FIGURES = [
    "product_count",
    "published_count",
    "draft_count",
    "price_min",
    "price_max",
    "total_stock",
]

#: product id -> (token as 32 hex digits, pending_saves) as read at the start of a recompute.
_Marks = dict[int, tuple[str, int]]


@dataclass(slots=True)
class _ProductInputs:
    """What one product's figures are computed from, read in one statement per chunk."""

    id: int
    version: int
    category_id: int | None
    status: str
    description_length: int
    mark: tuple[str, int] | None
    stored_version: int | None
    stored_category_id: int | None
    variant_count: int
    price_min: Decimal | None
    price_max: Decimal | None
    price_sum: Decimal | None
    total_stock: int
    unlabelled: int


@dataclass(frozen=True)
class RecomputeResult:
    computed: int = 0
    skipped_current: int = 0
    #: Ids that no longer exist (deleted since they were queued).
    missing: int = 0
    #: Products whose figures could not be computed; they keep a stale mark.
    failed: int = 0
    categories: int = 0

    def __add__(self, other: "RecomputeResult") -> "RecomputeResult":
        return RecomputeResult(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


# --- Stale marks ---------------------------------------------------------------------------


def product_stats_mark_stale(*, product_ids: Iterable[int], count_save: bool = True) -> None:
    """Record one editor save of each product: one statement whatever the number of ids.

    Call it inside the save transaction, after the product row is written (see the module
    docstring for why the order matters). It runs on every editor save, so it is a single
    upsert that increments in the database (no savepoint, no read): a new mark gets a
    fresh token and ``stale_since``; an existing mark keeps both and counts one more save.

    ``count_save=False`` marks without counting a save (the "Recompute statistics" button:
    asking for fresh figures is not an edit, so ``save_count`` must not grow). A new mark
    then starts at zero pending saves and an existing mark is left exactly as it is: it
    already forces a recompute, and changing its token or count would only make a
    recompute in flight keep it for one more round.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return
    connection = connections[router.db_for_write(ProductStaleness)]
    table = _table(ProductStaleness)
    now = _db_datetime(timezone.now(), ProductStaleness)
    saves = 1 if count_save else 0
    rows = ", ".join([f"(%s, %s, {saves}, %s)"] * len(ids))
    params = [value for pid in ids for value in (pid, now, uuid4().hex)]
    if connection.vendor == "mysql":
        conflict = f"ON DUPLICATE KEY UPDATE pending_saves = pending_saves + {saves}"
    elif count_save:  # SQLite and PostgreSQL
        conflict = (
            f"ON CONFLICT (product_id) DO UPDATE SET pending_saves = {table}.pending_saves + 1"
        )
    else:
        conflict = "ON CONFLICT (product_id) DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (product_id, stale_since, pending_saves, token) "
            f"VALUES {rows} {conflict}",
            params,
        )


def _marks_ensure(*, product_ids: list[int]) -> None:
    """Create missing marks; an existing mark keeps its earlier ``stale_since``."""
    now = timezone.now()
    ProductStaleness.objects.bulk_create(
        [ProductStaleness(product_id=pid, stale_since=now) for pid in product_ids],
        ignore_conflicts=True,
    )


def _marks_read(product_ids: list[int]) -> _Marks:
    rows = ProductStaleness.objects.filter(product_id__in=product_ids).values_list(
        "product_id", "token", "pending_saves"
    )
    return {pid: (_token(token), pending) for pid, token, pending in rows}


def _token(value: UUID | str) -> str:
    """Tokens compared as 32 hex digits: the ORM reads a UUID, raw SQL the stored text."""
    return value.hex if isinstance(value, UUID) else str(value).replace("-", "")


def _marks_claim(marks: _Marks) -> None:
    """Clear the marks read at the start, unless re-marked; add their saves to save_count.

    Raw SQL, like the rest of a batch's statements: it runs once per batch of 100 saves
    and the ORM's query building was most of its cost (bench/stats.py).
    """
    if not marks:
        return
    connection = connections[router.db_for_write(ProductStaleness)]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT product_id, token, pending_saves FROM {_table(ProductStaleness)} "
            f"WHERE product_id IN ({_placeholders(marks)}) ORDER BY product_id{lock}",
            list(marks),
        )
        locked = {pid: (_token(token), pending) for pid, token, pending in cursor.fetchall()}
        claimed: dict[int, int] = {}
        cleared: list[int] = []
        for pid, (token, pending) in marks.items():
            now_token, now_pending = locked.get(pid, (None, None))
            if now_token != token:
                continue  # claimed by a concurrent recompute; a new save may have re-marked it
            claimed[pid] = pending
            if now_pending == pending:
                cleared.append(pid)
        if cleared:
            cursor.execute(
                f"DELETE FROM {_table(ProductStaleness)} "
                f"WHERE product_id IN ({_placeholders(cleared)})",
                cleared,
            )
        kept = {pid: n for pid, n in claimed.items() if pid not in cleared and n}
        if kept:
            _add_per_product(cursor, ProductStaleness, "pending_saves", "-", kept)
        saves = {pid: n for pid, n in claimed.items() if n}
        if saves:
            _add_per_product(cursor, ProductStats, "save_count", "+", saves)


def _add_per_product(
    cursor: Any, model: type[Model], column: str, sign: str, amounts: dict[int, int]
) -> None:
    """``column = column +/- amount`` per product, in one UPDATE for the whole chunk."""
    branches = " ".join("WHEN %s THEN %s" for _ in amounts)
    params = [value for pair in amounts.items() for value in pair]
    cursor.execute(
        f"UPDATE {_table(model)} SET {column} = {column} {sign} "
        f"CASE product_id {branches} ELSE 0 END "
        f"WHERE product_id IN ({_placeholders(amounts)})",
        params + list(amounts),
    )


def _table(model: type[Model]) -> str:
    return connections[router.db_for_write(model)].ops.quote_name(model._meta.db_table)


def _placeholders(values: Iterable[Any]) -> str:
    return ", ".join("%s" for _ in values)


def _upsert_rows(
    model: type[Model], columns: list[str], rows: list[tuple], *, key: str, update: list[str]
) -> None:
    """INSERT ... ON DUPLICATE KEY UPDATE (MariaDB) / ON CONFLICT DO UPDATE (SQLite).

    Values must already be in the database's form (see ``_db_datetime``). One statement
    unless the backend caps the number of parameters (Django's SQLite limit), as
    ``bulk_create`` does.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor == "mysql":
        conflict = "ON DUPLICATE KEY UPDATE " + ", ".join(f"{c} = VALUES({c})" for c in update)
    else:
        conflict = f"ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(
            f"{c} = excluded.{c}" for c in update
        )
    row_sql = f"({_placeholders(columns)})"
    per_statement = len(rows)
    if connection.features.max_query_params:
        per_statement = max(1, connection.features.max_query_params // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {_table(model)} ({', '.join(columns)}) "
                f"VALUES {', '.join([row_sql] * len(part))} {conflict}",
                [value for row in part for value in row],
            )


def _db_datetime(value: datetime, model: type[Model]) -> Any:
    connection = connections[router.db_for_write(model)]
    return connection.ops.adapt_datetimefield_value(value)


def _decimal(value: Any) -> Decimal | None:
    """A money figure from raw SQL: MariaDB gives Decimal, SQLite a float (cents exact)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(_CENT)


# --- Product statistics ---------------------------------------------------------------------


def product_stats_recompute(
    *, product_ids: Iterable[int], force: bool = False, defer_categories: bool = False
) -> RecomputeResult:
    """Bring the products' statistics, and their categories', up to date.

    A fixed number of SQL statements per call, whatever the number of ids: the caller
    chooses the chunk size. Products whose figures are current (same version, no stale
    mark) are skipped unless ``force`` (use it after a change to ``stats.figures``).

    The public function is not one transaction on purpose: if a chunk fails for a reason
    other than a lock conflict, it is split in halves and retried, so one bad product
    cannot hold back the others; the bad one keeps a stale mark for the sweep and is
    counted in ``failed``. Lock conflicts (``OperationalError``) are re-raised for the
    task's retry policy.

    ``defer_categories`` marks the touched categories stale instead of recomputing them
    (the batch path: see ``CategoryStaleness``); ``category_stats_refresh_stale`` catches up.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return RecomputeResult()
    return _recompute_isolating(ids, force=force, defer_categories=defer_categories)


def _recompute_isolating(
    ids: list[int], *, force: bool, defer_categories: bool = False
) -> RecomputeResult:
    try:
        return _recompute_chunk(ids, force=force, defer_categories=defer_categories)
    except OperationalError:
        raise
    except Exception:
        if len(ids) == 1:
            logger.exception("Statistics of product %s failed; it stays marked stale.", ids[0])
            _mark_failed(ids[0])
            return RecomputeResult(failed=1)
        logger.warning("Recompute of %d products failed; splitting the chunk.", len(ids))
    middle = len(ids) // 2
    return _recompute_isolating(
        ids[:middle], force=force, defer_categories=defer_categories
    ) + _recompute_isolating(ids[middle:], force=force, defer_categories=defer_categories)


def _mark_failed(product_id: int) -> None:
    # No pending save is added: the failure is not an editor save.
    try:
        with transaction.atomic():
            _marks_ensure(product_ids=[product_id])
    except IntegrityError:
        pass  # the product was deleted meanwhile: nothing left to recompute


@transaction.atomic
def _recompute_chunk(
    ids: list[int], *, force: bool, defer_categories: bool = False
) -> RecomputeResult:
    now = timezone.now()
    inputs = _recompute_inputs(ids)
    missing = [pid for pid in ids if pid not in inputs]
    if missing:
        ProductStaleness.objects.filter(product_id__in=missing).delete()
        ProductStats.objects.filter(product_id__in=missing).delete()
    due = [
        product
        for _, product in sorted(inputs.items())
        if force or product.mark is not None or product.stored_version != product.version
    ]
    categories = 0
    if due:
        computed_at = _db_datetime(now, ProductStats)
        _upsert_rows(
            ProductStats,
            _PRODUCT_STATS_COLUMNS,
            [_product_stats_row(product, computed_at) for product in due],
            key="product_id",
            update=_PRODUCT_STATS_UPDATED,
        )
        touched = {product.category_id for product in due}
        touched |= {product.stored_category_id for product in due}
        if defer_categories:
            category_stats_mark_stale(category_ids=touched - {None})
        else:
            categories = _category_stats_write(category_ids=touched - {None}, now=now)
    _marks_claim({product.id: product.mark for product in due if product.mark is not None})
    return RecomputeResult(
        computed=len(due),
        skipped_current=len(inputs) - len(due),
        missing=len(missing),
        categories=categories,
    )


def _recompute_inputs(product_ids: list[int]) -> dict[int, _ProductInputs]:
    """Each existing product with its mark, its stored version and its variants' aggregates.

    One statement, so one snapshot (READ COMMITTED gives each statement its own): the
    figures are never older than the version and the mark they are stored with, and a
    save committed after this read leaves its mark behind (see ``_marks_claim``). Raw SQL
    because a batch runs it for every 100 saves and the ORM spent more time building the
    four queries it replaces than the database spent answering them.
    """
    connection = connections[router.db_for_write(Product)]
    length = "CHAR_LENGTH" if connection.vendor == "mysql" else "LENGTH"
    ids = _placeholders(product_ids)
    sql = f"""
        SELECT p.id, p.version, p.category_id, p.status, {length}(p.description),
               m.token, m.pending_saves, s.computed_version, s.category_id,
               v.variant_count, v.price_min, v.price_max, v.price_sum, v.total_stock,
               v.unlabelled
        FROM {_table(Product)} p
        LEFT JOIN {_table(ProductStaleness)} m ON m.product_id = p.id
        LEFT JOIN {_table(ProductStats)} s ON s.product_id = p.id
        LEFT JOIN (
            SELECT product_id, COUNT(*) AS variant_count, MIN(price) AS price_min,
                   MAX(price) AS price_max, SUM(price) AS price_sum,
                   SUM(stock) AS total_stock,
                   SUM(CASE WHEN size = '' AND colour = '' THEN 1 ELSE 0 END) AS unlabelled
            FROM {_table(Variant)}
            WHERE product_id IN ({ids})
            GROUP BY product_id
        ) v ON v.product_id = p.id
        WHERE p.id IN ({ids})
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*product_ids, *product_ids])
        rows = cursor.fetchall()
    return {
        row[0]: _ProductInputs(
            id=row[0],
            version=row[1],
            category_id=row[2],
            status=row[3],
            description_length=row[4] or 0,
            mark=None if row[5] is None else (_token(row[5]), row[6]),
            stored_version=row[7],
            stored_category_id=row[8],
            variant_count=row[9] or 0,
            price_min=_decimal(row[10]),
            price_max=_decimal(row[11]),
            price_sum=_decimal(row[12]),
            total_stock=int(row[13] or 0),
            unlabelled=int(row[14] or 0),
        )
        for row in rows
    }


#: What a recompute writes; ``save_count`` is only ever incremented (``_marks_claim``).
_PRODUCT_STATS_UPDATED = [
    "category_id",
    "variant_count",
    "price_min",
    "price_max",
    "price_avg",
    "total_stock",
    "stock_status",
    "completeness",
    "computed_at",
    "computed_version",
]
_PRODUCT_STATS_COLUMNS = ["product_id", *_PRODUCT_STATS_UPDATED, "save_count"]


def _product_stats_row(product: _ProductInputs, computed_at: Any) -> tuple:
    """The ProductStats columns (``_PRODUCT_STATS_COLUMNS`` order) of one product."""
    return (
        product.id,
        product.category_id,
        product.variant_count,
        product.price_min,
        product.price_max,
        figures.price_average(price_sum=product.price_sum, variant_count=product.variant_count),
        product.total_stock,
        figures.stock_status(total_stock=product.total_stock),
        figures.completeness(
            description_length=product.description_length,
            has_category=product.category_id is not None,
            variant_count=product.variant_count,
            unlabelled_variant_count=product.unlabelled,
            published=product.status == Product.Status.PUBLISHED,
        ),
        computed_at,
        product.version,
        0,  # save_count of a new row; an existing row keeps its own
    )


def product_stats_recompute_loop(*, product_ids: Iterable[int]) -> RecomputeResult:
    """The per-product ORM loop: the benchmark's baseline, same results, many more queries.

    Each product is computed from scratch by ``stats.selectors`` and written in its own
    transaction with the same mark claim as the set-based path; affected categories are
    then computed one by one. It skips the category row locks, so it is not meant for
    concurrent production use.
    """
    result = RecomputeResult()
    touched: set[int] = set()
    for pid in sorted(set(product_ids)):
        with transaction.atomic():
            marks = _marks_read([pid])
            computed = product_stats_from_scratch(product_id=pid)
            if computed is None:
                ProductStaleness.objects.filter(product_id=pid).delete()
                result += RecomputeResult(missing=1)
                continue
            values, version = computed
            old = ProductStats.objects.filter(product_id=pid).first()
            if old is not None and not marks and old.computed_version == version:
                result += RecomputeResult(skipped_current=1)
                continue
            ProductStats.objects.update_or_create(
                product_id=pid,
                defaults={**values, "computed_at": timezone.now(), "computed_version": version},
            )
            touched |= {values["category_id"], old.category_id if old else None} - {None}
            _marks_claim(marks)
            result += RecomputeResult(computed=1)
    now = timezone.now()
    for category_id in sorted(_with_ancestors(touched, _category_parents())):
        with transaction.atomic():
            CategoryStats.objects.update_or_create(
                category_id=category_id,
                defaults={
                    **category_stats_from_scratch(category_id=category_id),
                    "computed_at": now,
                },
            )
        result += RecomputeResult(categories=1)
    return result


# --- Category statistics ---------------------------------------------------------------------


@transaction.atomic
def category_stats_recompute(*, category_ids: Iterable[int]) -> int:
    """Recompute the categories and all their ancestors; return how many rows were written.

    For changes a product recompute cannot see: a category moved to another parent (call
    it with the old and the new parent), a product deleted (with its last category).
    """
    return _category_stats_write(category_ids=set(category_ids), now=timezone.now())


def category_stats_mark_stale(*, category_ids: Iterable[int]) -> None:
    """Queue categories for the next periodic refresh (a new token on every mark)."""
    ids = sorted(set(category_ids))
    if not ids:
        return
    now = _db_datetime(timezone.now(), CategoryStaleness)
    _upsert_rows(
        CategoryStaleness,
        ["category_id", "stale_since", "token"],
        [(cid, now, uuid4().hex) for cid in ids],
        key="category_id",
        update=["token"],
    )


@transaction.atomic
def category_stats_refresh_stale() -> int:
    """Recompute the categories marked stale (and their ancestors); clear those marks.

    A mark re-set while this runs has a new token and survives for the next refresh.
    """
    marks = dict(CategoryStaleness.objects.values_list("category_id", "token"))
    if not marks:
        return 0
    written = _category_stats_write(category_ids=set(marks), now=timezone.now())
    still_current = Q()
    for category_id, token in marks.items():
        still_current |= Q(category_id=category_id, token=token)
    CategoryStaleness.objects.filter(still_current).delete()
    return written


@transaction.atomic
def category_stats_recompute_all() -> int:
    """Recompute every category (after a bulk import, or as a nightly consistency pass)."""
    return _category_stats_write(category_ids=None, now=timezone.now())


def _category_parents() -> dict[int, int | None]:
    """The whole tree as {id: parent_id}: one query; catalogs have thousands of categories."""
    return dict(Category.objects.order_by().values_list("id", "parent_id"))


def _with_ancestors(category_ids: Iterable[int], parents: dict[int, int | None]) -> set[int]:
    found: set[int] = set()
    for category_id in category_ids:
        node: int | None = category_id
        while node is not None and node in parents and node not in found:
            found.add(node)
            node = parents[node]
    return found


def _category_stats_write(*, category_ids: set[int] | None, now: datetime) -> int:
    """Write CategoryStats for ``category_ids`` plus ancestors (None: every category)."""
    parents = _category_parents()
    targets = set(parents) if category_ids is None else _with_ancestors(category_ids, parents)
    if not targets:
        return 0
    # Lock the existing rows, then create the missing ones (id order both times), before
    # reading the catalog: see "Category statistics" in the module docstring.
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
    children: dict[int, list[int]] = {}
    for cid, parent_id in parents.items():
        if parent_id is not None:
            children.setdefault(parent_id, []).append(cid)
    scope = set(_descendants(targets, children))
    totals = _subtree_totals(targets, children, _direct_category_figures(scope, parents))
    computed_at = _db_datetime(now, CategoryStats)
    _upsert_rows(
        CategoryStats,
        ["category_id", *_CATEGORY_FIGURES, "computed_at"],
        [
            (cid, *(totals[cid][name] for name in _CATEGORY_FIGURES), computed_at)
            for cid in sorted(targets)
        ],
        key="category_id",
        update=[*_CATEGORY_FIGURES, "computed_at"],
    )
    return len(targets)


def _descendants(roots: Iterable[int], children: dict[int, list[int]]) -> Iterator[int]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue  # shared subtree, or a cycle in bad data
        seen.add(node)
        yield node
        stack.extend(children.get(node, ()))


def _direct_category_figures(
    scope: set[int], parents: dict[int, int | None]
) -> dict[int, dict[str, Any]]:
    """Figures of the products sitting directly in each category: two grouped queries."""
    whole_tree = len(scope) == len(parents)
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
    for row in variants.values("product__category_id").annotate(
        price_min=Min("price"), price_max=Max("price"), total_stock=Sum("stock")
    ):
        direct.setdefault(row.pop("product__category_id"), {}).update(row)
    return direct


def _subtree_totals(
    targets: set[int], children: dict[int, list[int]], direct: dict[int, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Roll the direct figures up the tree: a node's total is its own plus its children's.

    One post-order pass over the targets' subtrees (each node visited once); counts, sums,
    minima and maxima combine exactly, so nothing is ever an average of averages.
    """
    totals: dict[int, dict[str, Any]] = {}
    entered: set[int] = set()
    stack = [(node, False) for node in targets]
    while stack:
        node, children_done = stack.pop()
        if node in totals:
            continue
        if children_done:
            result = _empty_category_figures()
            _combine(result, direct.get(node, {}))
            for child in children.get(node, ()):
                _combine(result, totals.get(child, {}))  # absent only inside a cycle
            totals[node] = result
        elif node not in entered:  # a cycle in bad data must not loop forever
            entered.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in children.get(node, ()))
    return {node: totals[node] for node in targets}


def _empty_category_figures() -> dict[str, Any]:
    return {
        "product_count": 0,
        "published_count": 0,
        "draft_count": 0,
        "price_min": None,
        "price_max": None,
        "total_stock": 0,
    }


def _combine(into: dict[str, Any], part: dict[str, Any]) -> None:
    for name in ("product_count", "published_count", "draft_count", "total_stock"):
        into[name] += part.get(name) or 0
    into["price_min"] = _pick(min, into["price_min"], part.get("price_min"))
    into["price_max"] = _pick(max, into["price_max"], part.get("price_max"))


def _pick(choose: Any, a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None or b is None:
        return b if a is None else a
    return choose(a, b)


# --- Entry points for the workers ----------------------------------------------------------


def product_stats_batch_process(
    *,
    product_ids: Iterable[int],
    category_ids: Iterable[int] = (),
    requests: int,
    rejected: int = 0,
    worker: str = "",
) -> RecomputeResult:
    """Recompute one flushed batch: each product once, however often it was saved.

    ``category_ids`` are the categories of products deleted since they were queued (the
    deleted product's statistics row, which remembered its category, is gone). Category
    statistics are only marked here and refreshed periodically (``CategoryStaleness``
    says why). The batch
    is recorded as a ``BatchFlush`` whatever happens, because celery-batches acks the
    whole batch even when it raised: a failure is logged and the products keep their
    stale marks for the sweep.
    """
    started = time.monotonic()
    distinct = sorted(set(product_ids))
    result = RecomputeResult()
    try:
        result = product_stats_recompute(product_ids=distinct, defer_categories=True)
        category_stats_mark_stale(category_ids=category_ids)
    except Exception:
        logger.exception(
            "Batch of %d requests (%d products) failed; they stay stale for the sweep.",
            requests,
            len(distinct),
        )
        result = RecomputeResult(failed=len(distinct))
    finally:
        BatchFlush.objects.create(
            flushed_at=timezone.now(),
            worker=worker[:255],
            requests=requests,
            rejected=rejected,
            products=len(distinct),
            computed=result.computed,
            skipped_current=result.skipped_current,
            missing=result.missing,
            failed=result.failed,
            duration_ms=round((time.monotonic() - started) * 1000),
        )
    return result


def product_stats_sweep_stale(
    *,
    older_than: timedelta | None = None,
    chunk_size: int | None = None,
    max_chunks: int | None = None,
) -> RecomputeResult:
    """The backstop: recompute products stale for longer than a batch should take.

    A stale mark older than the flush interval plus a margin means its request was lost
    (broker outage, killed worker, failed batch). Work is bounded per sweep so a large
    backlog is caught up over several sweeps instead of one endless task. Category
    statistics are refreshed in full at the end, which also repairs those of products
    deleted while their request was lost.
    """
    older_than = older_than or timedelta(
        seconds=settings.STATS_BATCH_FLUSH_INTERVAL + settings.STATS_STALE_MARGIN
    )
    chunk_size = chunk_size or settings.STATS_STALE_SWEEP_CHUNK
    max_chunks = max_chunks or settings.STATS_STALE_SWEEP_MAX_CHUNKS
    result = RecomputeResult()
    seen: set[int] = set()
    for _ in range(max_chunks):
        ids = [
            pid
            for pid in stale_products(older_than=older_than, limit=chunk_size + len(seen))
            if pid not in seen
        ][:chunk_size]
        if not ids:
            break
        seen.update(ids)  # a product that fails again keeps its mark: do not loop on it
        result += product_stats_recompute(product_ids=ids)
    result += RecomputeResult(categories=category_stats_recompute_all())
    BatchFlush.objects.filter(
        flushed_at__lt=timezone.now() - timedelta(days=settings.STATS_BATCH_FLUSH_RETENTION_DAYS)
    ).delete()
    if result.computed or result.failed:
        logger.info("Stale sweep: %s", result)
    return result
