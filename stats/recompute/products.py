"""The set-based product recompute: a fixed number of statements per chunk of products.

Figures are an upsert of values computed from the catalog, so running a recompute twice,
or twice at once, converges on the same rows; the stale marks (``stats.recompute.marks``)
make sure each editor save is counted once. On MariaDB a deadlock or lock timeout is
re-raised as ``OperationalError`` for the caller to run again (a batch at once, a bulk
chunk at the back of its queue); the marks make that safe.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from django.db import OperationalError, connections, router, transaction
from django.utils import timezone

from catalog.models import Product, Variant
from stats import figures
from stats.recompute.categories import (
    category_stats_recompute_all,
    category_stats_refresh_stale,
    category_stats_write,
)
from stats.recompute.marks import (
    category_stats_mark_stale,
    mark_failed,
    marks_claim,
    token,
)
from stats.recompute.models import ProductStaleness, ProductStats
from stats.recompute.own_figures import (
    SHARE_COLUMNS,
    Share,
    old_shares_lock,
    own_figures_apply,
    share,
)
from stats.recompute.sql import db_datetime, db_decimal, placeholders, table, upsert_rows

logger = logging.getLogger(__name__)


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
    #: The lowest and highest variant currency: equal when the product has one currency.
    currency_low: str | None
    currency_high: str | None
    price_min: Decimal | None
    price_max: Decimal | None
    price_sum: Decimal | None
    total_stock: int
    unlabelled: int


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


def product_stats_recompute_all(*, chunk_size: int = 1000) -> RecomputeResult:
    """Bring every product's figures up to date in this process, then their categories'.

    For setting up, before any worker runs (``make run`` after seeding, so the first
    product an editor opens has figures), and to repair categories' own figures after
    writes that bypassed the marks (``recompute_stats --all --in-process``). Current
    products are only read, so running it again costs one read per chunk. In production
    a catalog-wide recompute is a bulk run, at the bulk queue's rate limit.
    """
    result = RecomputeResult()
    last = 0
    while ids := list(
        Product.objects.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:chunk_size]
    ):
        result += product_stats_recompute(product_ids=ids, defer_categories=True)
        last = ids[-1]
    # The repair path as well: every category's own figures rebuilt from the catalog, not
    # kept by difference (``stats.recompute.own_figures``); then the marks are cleared.
    categories = category_stats_recompute_all()
    category_stats_refresh_stale()
    return result + RecomputeResult(categories=categories)


def _recompute_isolating(ids: list[int], *, force: bool, defer_categories: bool) -> RecomputeResult:
    try:
        return _recompute_chunk(ids, force=force, defer_categories=defer_categories)
    except OperationalError:
        raise
    except Exception:
        if len(ids) == 1:
            logger.exception("Statistics of product %s failed; it stays marked stale.", ids[0])
            mark_failed(ids[0])
            return RecomputeResult(failed=1)
        logger.warning("Recompute of %d products failed; splitting the chunk.", len(ids))
    middle = len(ids) // 2
    return _recompute_isolating(
        ids[:middle], force=force, defer_categories=defer_categories
    ) + _recompute_isolating(ids[middle:], force=force, defer_categories=defer_categories)


@transaction.atomic
def _recompute_chunk(ids: list[int], *, force: bool, defer_categories: bool) -> RecomputeResult:
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
        computed_at = db_datetime(now, ProductStats)
        old = old_shares_lock([product.id for product in due])
        rows = [_product_stats_row(product, computed_at) for product in due]
        upsert_rows(ProductStats, _COLUMNS, rows, key="product_id", update=_UPDATED)
        own_figures_apply(old=old, new={row[0]: _share(row) for row in rows}, now=now)
        touched = {
            category_id
            for product in due
            for category_id in (product.category_id, product.stored_category_id)
            if category_id is not None
        }
        if defer_categories:
            category_stats_mark_stale(category_ids=touched)
        else:
            categories = category_stats_write(category_ids=touched, now=now, rebuild=False)
    marks_claim({product.id: product.mark for product in due if product.mark is not None})
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
    save committed after this read leaves its mark behind (see ``marks_claim``). Raw SQL
    because a batch runs it for every 100 saves and the ORM spent more time building the
    four queries it replaces than the database spent answering them.

    A variant is unlabelled when its size and colour are both empty strings, as the
    reference (``not size and not colour``) says: compared by length, not ``= ''``, since
    MariaDB's collation finds ``''`` equal to a zero-width space, a lone combining accent
    or spaces alone, which a size pasted from a web page can be.
    """
    connection = connections[router.db_for_write(Product)]
    length = "CHAR_LENGTH" if connection.vendor == "mysql" else "LENGTH"
    ids = placeholders(product_ids)
    sql = f"""
        SELECT p.id, p.version, p.category_id, p.status, {length}(p.description),
               m.token, m.pending_saves, s.computed_version, s.category_id,
               v.variant_count, v.price_min, v.price_max, v.price_sum, v.total_stock,
               v.unlabelled, v.currency_low, v.currency_high
        FROM {table(Product)} p
        LEFT JOIN {table(ProductStaleness)} m ON m.product_id = p.id
        LEFT JOIN {table(ProductStats)} s ON s.product_id = p.id
        LEFT JOIN (
            SELECT product_id, COUNT(*) AS variant_count, MIN(price) AS price_min,
                   MAX(price) AS price_max, SUM(price) AS price_sum,
                   SUM(stock) AS total_stock,
                   SUM(CASE WHEN {length}(size) = 0 AND {length}(colour) = 0
                            THEN 1 ELSE 0 END) AS unlabelled,
                   MIN(currency) AS currency_low, MAX(currency) AS currency_high
            FROM {table(Variant)}
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
            mark=None if row[5] is None else (token(row[5]), row[6]),
            stored_version=row[7],
            stored_category_id=row[8],
            variant_count=row[9] or 0,
            price_min=db_decimal(row[10]),
            price_max=db_decimal(row[11]),
            price_sum=db_decimal(row[12]),
            total_stock=int(row[13] or 0),
            unlabelled=int(row[14] or 0),
            currency_low=row[15],
            currency_high=row[16],
        )
        for row in rows
    }


#: What a recompute writes; ``save_count`` is only ever incremented (``marks_claim``).
_UPDATED = [*figures.PRODUCT_FIGURES, "status", "computed_at", "computed_version"]
_COLUMNS = ["product_id", *_UPDATED, "save_count"]


def _share(row: tuple) -> Share | None:
    """What a product's new row (``_COLUMNS`` order) counts in its category's own figures."""
    values = dict(zip(_COLUMNS, row, strict=True))
    return share(**{name: values[name] for name in SHARE_COLUMNS})


def _product_stats_row(product: _ProductInputs, computed_at: Any) -> tuple:
    """The ProductStats columns (``_COLUMNS`` order) of one product."""
    values = _product_figures(product)
    return (
        product.id,
        *(values[name] for name in figures.PRODUCT_FIGURES),
        product.status,
        computed_at,
        product.version,
        0,  # save_count of a new row; an existing row keeps its own
    )


def _product_figures(product: _ProductInputs) -> dict[str, Any]:
    """The figures of one product (``figures.PRODUCT_FIGURES``) and its status."""
    return {
        "status": product.status,
        "category_id": product.category_id,
        "variant_count": product.variant_count,
        **figures.product_price_figures(
            currencies={c for c in (product.currency_low, product.currency_high) if c},
            price_min=product.price_min,
            price_max=product.price_max,
            price_sum=product.price_sum,
            variant_count=product.variant_count,
        ),
        "total_stock": product.total_stock,
        "stock_status": figures.stock_status(total_stock=product.total_stock),
        "completeness": figures.completeness(
            description_length=product.description_length,
            has_category=product.category_id is not None,
            variant_count=product.variant_count,
            unlabelled_variant_count=product.unlabelled,
            published=product.status == Product.Status.PUBLISHED,
        ),
    }
