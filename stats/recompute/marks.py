"""Stale marks: the durable "these statistics are out of date" rows, and claiming them.

How an editor's save reaches the statistics
-------------------------------------------
1. The save transaction calls ``product_stats_mark_stale`` *after* the product row is
   written (``post_save`` or later). The mark commits with the save or not at all, so a
   lost or failed task never loses a save: the periodic sweep
   (``stats.recompute.sweep``) finds every mark nobody cleared.
2. A worker calls ``product_stats_recompute`` (``stats.recompute.products``) with a chunk
   of ids, which ends by claiming the marks it read (``marks_claim``).

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
gone or re-created.

Lock order, to stay deadlock-free with editors: a recompute takes product-stats rows, then
category-stats rows, then marks, each in id order; an editor's transaction writes the
product and then its mark, and never touches stats rows. Marking *before* the product row
is written would invert the order (the stats upsert's foreign-key check waits for the
product row lock).
"""

from collections.abc import Iterable
from uuid import UUID, uuid4

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from stats.recompute.models import CategoryStaleness, ProductStaleness, ProductStats
from stats.recompute.sql import (
    add_per_product,
    db_datetime,
    placeholders,
    select_locked,
    table,
    upsert_rows,
)

#: What recomputes a product whose request was never sent (``config.outbox``): its mark.
SWEEP_REPAIRS = "the periodic sweep recomputes the products from their stale marks"

#: product id -> (token as 32 hex digits, pending_saves) as read at the start of a recompute.
Marks = dict[int, tuple[str, int]]


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
    marks = table(ProductStaleness)
    now = db_datetime(timezone.now(), ProductStaleness)
    saves = 1 if count_save else 0
    rows = ", ".join([f"(%s, %s, {saves}, %s)"] * len(ids))
    params = [value for pid in ids for value in (pid, now, uuid4().hex)]
    if connection.vendor == "mysql":
        conflict = f"ON DUPLICATE KEY UPDATE pending_saves = pending_saves + {saves}"
    elif count_save:  # SQLite and PostgreSQL
        conflict = (
            f"ON CONFLICT (product_id) DO UPDATE SET pending_saves = {marks}.pending_saves + 1"
        )
    else:
        conflict = "ON CONFLICT (product_id) DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {marks} (product_id, stale_since, pending_saves, token) "
            f"VALUES {rows} {conflict}",
            params,
        )


def marks_ensure(*, product_ids: list[int]) -> None:
    """Create missing marks; an existing mark keeps its earlier ``stale_since``."""
    now = timezone.now()
    ProductStaleness.objects.bulk_create(
        [ProductStaleness(product_id=pid, stale_since=now) for pid in product_ids],
        ignore_conflicts=True,
    )


def mark_failed(product_id: int) -> None:
    """Keep a product whose recompute failed marked, for the sweep (not an editor save)."""
    try:
        with transaction.atomic():
            marks_ensure(product_ids=[product_id])
    except IntegrityError:
        pass  # the product was deleted meanwhile: nothing left to recompute


def token(value: UUID | str) -> str:
    """Tokens compared as 32 hex digits: the ORM reads a UUID, raw SQL the stored text."""
    return value.hex if isinstance(value, UUID) else str(value).replace("-", "")


def marks_claim(marks: Marks) -> None:
    """Clear the marks read at the start, unless re-marked; add their saves to save_count.

    Raw SQL, like the rest of a batch's statements: it runs once per batch of 100 saves
    and the ORM's query building was most of its cost (bench/README.md).
    """
    if not marks:
        return
    connection = connections[router.db_for_write(ProductStaleness)]
    with connection.cursor() as cursor:
        rows = select_locked(cursor, ProductStaleness, "product_id, token, pending_saves", [*marks])
        locked = {pid: (token(value), pending) for pid, value, pending in rows}
        claimed: dict[int, int] = {}
        cleared: list[int] = []
        for pid, (read_token, pending) in marks.items():
            now_token, now_pending = locked.get(pid, (None, None))
            if now_token != read_token:
                continue  # claimed by a concurrent recompute; a new save may have re-marked it
            claimed[pid] = pending
            if now_pending == pending:
                cleared.append(pid)
        if cleared:
            cursor.execute(
                f"DELETE FROM {table(ProductStaleness)} "
                f"WHERE product_id IN ({placeholders(cleared)})",
                cleared,
            )
        kept = {pid: n for pid, n in claimed.items() if pid not in cleared and n}
        if kept:
            add_per_product(cursor, ProductStaleness, "pending_saves", "-", kept)
        saves = {pid: n for pid, n in claimed.items() if n}
        if saves:
            add_per_product(cursor, ProductStats, "save_count", "+", saves)


def category_stats_mark_stale(*, category_ids: Iterable[int]) -> None:
    """Queue categories for the next periodic refresh (a new token on every mark)."""
    ids = sorted(set(category_ids))
    if not ids:
        return
    now = db_datetime(timezone.now(), CategoryStaleness)
    upsert_rows(
        CategoryStaleness,
        ["category_id", "stale_since", "token"],
        [(cid, now, uuid4().hex) for cid in ids],
        key="category_id",
        update=["token"],
    )
