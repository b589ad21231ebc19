"""Bulk recompute runs: plan a run as chunks, process one chunk, cancel, estimate.

Celery-free like every service: a run's chunks are sent through ``stats.bulk.publish``
(one rate-limited message per chunk, once the run is committed) and ``stats.bulk.tasks``
calls ``bulk_chunk_process``. The database is the source of truth: a chunk's
status, changed under a row lock, is what makes a redelivered or duplicated message
harmless (a finished chunk is never counted twice).
"""

import enum
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from catalog.models import Category, Product
from catalog.selectors import category_subtrees, category_tree
from stats.bulk.models import BulkChunk, BulkRun
from stats.bulk.publish import chunk_messages
from stats.bulk.window import bulk_chunk_size_for
from stats.recompute.marks import category_stats_mark_stale
from stats.recompute.own_figures import own_figures_mark_stale
from stats.recompute.products import product_stats_recompute
from stats.records.task_runs import BULK_CHUNK, task_run_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


class BulkRunError(ValueError):
    """A user-facing reason why a run cannot be started."""


class ChunkOutcome(enum.Enum):
    DONE = "done"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # finished already, or its run was cancelled


def _scope_products(scope: str, categories: list[Category]) -> QuerySet[Product]:
    """A category run's products: the union of the subtrees, each product once."""
    products = Product.objects.order_by("id")
    if scope == BulkRun.Scope.CATEGORY:
        assert categories, "bulk_run_start refuses a category run without a category"
        roots = [category.pk for category in categories]
        return products.filter(category_id__in=category_subtrees(roots, category_tree()))
    return products


def _id_chunks(products: QuerySet[Product], size: int) -> Iterator[list[int]]:
    """Keyset pagination: one chunk of ids in memory at a time, however large the catalog."""
    last = 0
    while True:
        ids = list(products.filter(id__gt=last).values_list("id", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


@transaction.atomic
def bulk_run_start(
    *,
    trigger: str,
    scope: str,
    categories: Iterable[Category] = (),
    product_ids: Iterable[int] | None = None,
    started_by: "User | None" = None,
    chunk_size: int | None = None,
    one_active_run: bool = False,
) -> BulkRun:
    """Create a run and its chunks; their messages are sent once the run is committed.

    ``one_active_run``: refuse a second queued or running run of ``started_by`` (editors:
    the queue does 30 chunks an hour, and one editor must not fill it).
    ``chunk_size``: by default the window's (``stats.bulk.window``): the smallest chunk for
    a catalog the window holds at that size, larger for one it does not.
    """
    if chunk_size is not None and chunk_size < 1:
        raise BulkRunError("The chunk size must be at least 1.")
    ids = None
    if one_active_run and started_by is not None:
        _one_active_run_per_editor(started_by)
    chosen = sorted(set(categories), key=lambda category: category.pk)
    if scope == BulkRun.Scope.CATEGORY and not chosen:
        raise BulkRunError("A category run needs at least one category.")
    if scope == BulkRun.Scope.PRODUCTS:
        ids = sorted(set(product_ids or []))
        if not ids:
            raise BulkRunError("Select at least one product.")
        found = set(Product.objects.filter(id__in=ids).values_list("id", flat=True))
        unknown = [pid for pid in ids if pid not in found]
        if unknown:
            shown = ", ".join(map(str, unknown[:10])) + (" ..." if len(unknown) > 10 else "")
            raise BulkRunError(f"Unknown product IDs: {shown}")
    if chunk_size is None:
        # One COUNT over the scope (an index scan: about 0.1 s at 1,000,000 products).
        count = len(ids) if ids is not None else _scope_products(scope, chosen).count()
        chunk_size = bulk_chunk_size_for(count)
    run = BulkRun.objects.create(
        trigger=trigger,
        scope=scope,
        started_by=started_by,
        chunk_size=chunk_size,
        rate_limit=settings.STATS_BULK_RATE_LIMIT,
    )
    if scope == BulkRun.Scope.CATEGORY:
        run.categories.set(chosen)
    chunks, total, number = [], 0, 0
    # A selection is already in memory (and checked): slice it rather than sending the
    # whole id list back to the database once per chunk.
    id_chunks = (
        (ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size))
        if ids is not None
        else _id_chunks(_scope_products(scope, chosen), chunk_size)
    )
    for number, chunk_ids in enumerate(id_chunks, start=1):
        chunks.append(BulkChunk(run=run, number=number, product_ids=chunk_ids))
        total += len(chunk_ids)
        if len(chunks) >= 500:
            BulkChunk.objects.bulk_create(chunks)
            chunks = []
    BulkChunk.objects.bulk_create(chunks)
    run.chunks_total, run.products_total = number, total
    if number == 0:
        run.status, run.finished_at = BulkRun.Status.DONE, timezone.now()
    run.save(update_fields=["chunks_total", "products_total", "status", "finished_at"])
    if number:
        chunk_messages.add(run.pk)
    return run


def _one_active_run_per_editor(user: Any) -> None:
    """An editor may have one queued or running run: the queue does 30 chunks an hour.

    The user's row is locked first, so two starts by the same editor at once cannot both
    find nothing active.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    active = (
        BulkRun.objects.filter(
            trigger=BulkRun.Trigger.EDITOR, started_by=user, status__in=BulkRun.ACTIVE
        )
        .order_by("id")
        .first()
    )
    if active is not None:
        raise BulkRunError(
            f"You already have bulk run {active.pk} {active.get_status_display().lower()}: "
            "wait for it to finish or cancel it first."
        )


def bulk_run_start_scheduled() -> BulkRun | None:
    """The nightly whole-catalog run, unless a scheduled or ops run is still active.

    An editor's run (a category, a selection) never makes the nightly run skip.
    """
    with transaction.atomic():
        # Lock the newest run row so two schedulers cannot both see "nothing active".
        list(BulkRun.objects.select_for_update().order_by("-id")[:1])
        blocking = BulkRun.objects.filter(status__in=BulkRun.ACTIVE).exclude(
            trigger=BulkRun.Trigger.EDITOR
        )
        if blocking.exists():
            logger.info("Scheduled bulk run skipped: a scheduled or ops run is still active.")
            return None
        return bulk_run_start(trigger=BulkRun.Trigger.SCHEDULE, scope=BulkRun.Scope.ALL)


def bulk_chunk_awaits_work(*, chunk_id: int) -> bool:
    """Whether a chunk's message will do work: not finished, in a queued or running run.

    The bulk worker asks before spending a rate-limit token on the message. A running
    chunk counts: its message comes back when a worker died in the middle of it.
    """
    return (
        BulkChunk.objects.filter(pk=chunk_id, run__status__in=BulkRun.ACTIVE)
        .exclude(status__in=BulkChunk.FINISHED)
        .exists()
    )


def _finish_if_complete(run: BulkRun) -> None:
    run.refresh_from_db()
    if run.chunks_left > 0 or not run.is_active:
        return
    run.status = BulkRun.Status.FAILED if run.chunks_failed else BulkRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    if run.scope == BulkRun.Scope.ALL:
        _own_figures_repair()


def _own_figures_repair() -> None:
    """After a whole-catalog run, every category's own figures are rebuilt from the catalog.

    They are kept by difference (``stats.recompute.own_figures``); a write that bypassed
    the stale marks would leave them off for good. The nightly run recomputed every
    product just now: the next category refresh rebuilds each category once (one pass
    over the catalog, about a minute at 1,000,000 products), so a drift lasts a night.
    """
    categories = list(Category.objects.values_list("pk", flat=True))
    own_figures_mark_stale(category_ids=categories)
    category_stats_mark_stale(category_ids=categories)


def _count(run_id: int, **increments: int) -> None:
    BulkRun.objects.filter(pk=run_id).update(
        **{field: F(field) + n for field, n in increments.items() if n}
    )


def bulk_chunk_process(*, chunk_id: int, worker: str = "") -> ChunkOutcome:
    """Recompute one chunk; idempotent, so a redelivered message does no harm.

    A chunk that raises goes back to pending for another attempt (its message sent again
    once that is committed) until ``STATS_BULK_MAX_ATTEMPTS``, then it is counted as
    failed: never dropped. So is a chunk whose worker died during each of those attempts
    (found running again).
    """
    with transaction.atomic():
        chunk = (
            BulkChunk.objects.select_for_update().select_related("run").filter(pk=chunk_id).first()
        )
        if chunk is None:  # its run was deleted, or the message is not ours
            logger.error("Bulk chunk %s does not exist; message dropped.", chunk_id)
            return ChunkOutcome.SKIPPED
        run = chunk.run
        if chunk.status in BulkChunk.FINISHED:
            return ChunkOutcome.SKIPPED
        if run.status == BulkRun.Status.CANCELLED:
            chunk.status, chunk.finished_at = BulkChunk.Status.CANCELLED, timezone.now()
            chunk.save(update_fields=["status", "finished_at"])
            _count(run.pk, chunks_cancelled=1)
            return ChunkOutcome.SKIPPED
        if (
            chunk.status == BulkChunk.Status.RUNNING
            and chunk.attempts >= settings.STATS_BULK_MAX_ATTEMPTS
        ):
            # Each earlier attempt ended with its worker gone (killed, out of memory, its
            # node lost). Stop here: left to the broker, the message of a chunk that takes
            # its worker down is dropped at the queue's delivery limit with the run active.
            _chunk_failed_for_good(chunk, bulk_chunk_lost_error(attempts=chunk.attempts))
            return ChunkOutcome.FAILED
        now = timezone.now()
        chunk.status, chunk.started_at, chunk.worker = BulkChunk.Status.RUNNING, now, worker[:255]
        chunk.attempts += 1
        chunk.save(update_fields=["status", "started_at", "worker", "attempts"])
        BulkRun.objects.filter(pk=run.pk, status=BulkRun.Status.QUEUED).update(
            status=BulkRun.Status.RUNNING, started_at=now
        )
    try:
        result = product_stats_recompute(
            product_ids=chunk.product_ids, force=True, defer_categories=True
        )
    except Exception as exc:
        return _chunk_failed(chunk_id, exc)
    with transaction.atomic():
        chunk = BulkChunk.objects.select_for_update().get(pk=chunk_id)
        if chunk.status != BulkChunk.Status.RUNNING:
            return ChunkOutcome.SKIPPED  # finished by a concurrent duplicate
        done = result.computed + result.skipped_current + result.missing
        chunk.status, chunk.finished_at = BulkChunk.Status.DONE, timezone.now()
        chunk.products_done, chunk.products_failed = done, result.failed
        chunk.save(update_fields=["status", "finished_at", "products_done", "products_failed"])
        _count(chunk.run_id, chunks_done=1, products_done=done, products_failed=result.failed)
        _finish_if_complete(BulkRun.objects.select_for_update().get(pk=chunk.run_id))
    _chunk_run_record(chunk)
    return ChunkOutcome.DONE


def _chunk_run_record(chunk: BulkChunk, error: str = "") -> None:
    """Count the chunk's attempt for monitoring (from its start to now)."""
    started = chunk.started_at or timezone.now()
    task_run_record(
        task=BULK_CHUNK,
        seconds=(timezone.now() - started).total_seconds(),
        error=error,
        worker=chunk.worker,
    )


def bulk_chunk_lost_error(*, attempts: int) -> str:
    """A group's error when its worker went away at every attempt, in the words of the
    run's page (editors read it there)."""
    return (
        "The background process recomputing this group stopped (restarted, or out of "
        f"memory) during each of {attempts} attempts."
    )


def _chunk_failed(chunk_id: int, exc: Exception) -> ChunkOutcome:
    with transaction.atomic():
        chunk = BulkChunk.objects.select_for_update().get(pk=chunk_id)
        if chunk.status != BulkChunk.Status.RUNNING:
            return ChunkOutcome.SKIPPED
        chunk.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        transaction.on_commit(lambda: _chunk_run_record(chunk, chunk.last_error))
        if chunk.attempts < settings.STATS_BULK_MAX_ATTEMPTS:
            logger.warning(
                "Bulk chunk %s failed (attempt %s), retrying: %s",
                chunk_id,
                chunk.attempts,
                chunk.last_error,
            )
            # Back of the queue, once this commits; not retry(countdown=...): ETA messages
            # would sit in the bulk worker's memory. Unsent, the bulk resume sends it.
            chunk.status, chunk.published_at = BulkChunk.Status.PENDING, None
            chunk.save(update_fields=["status", "last_error", "published_at"])
            chunk_messages.add(chunk.run_id)
            return ChunkOutcome.RETRY
        _chunk_failed_for_good(chunk)
    return ChunkOutcome.FAILED


def _chunk_failed_for_good(chunk: BulkChunk, error: str = "") -> None:
    """Count a locked chunk failed and finish its run if it was the last one."""
    if error:
        chunk.last_error = error
        transaction.on_commit(lambda: _chunk_run_record(chunk, error))
    logger.error(
        "Bulk chunk %s failed for good after %s attempts: %s",
        chunk.pk,
        chunk.attempts,
        chunk.last_error,
    )
    chunk.status, chunk.finished_at = BulkChunk.Status.FAILED, timezone.now()
    chunk.products_failed = len(chunk.product_ids)
    chunk.save(update_fields=["status", "finished_at", "products_failed", "last_error"])
    _count(chunk.run_id, chunks_failed=1, products_failed=chunk.products_failed)
    _finish_if_complete(BulkRun.objects.select_for_update().get(pk=chunk.run_id))


@transaction.atomic
def bulk_run_cancel(*, run_id: int) -> BulkRun:
    """Stop a run: its pending chunks are cancelled now; their messages do no work."""
    run = BulkRun.objects.select_for_update().get(pk=run_id)
    if not run.is_active:
        raise BulkRunError(
            f"Run {run_id} is {run.get_status_display().lower()}: nothing to cancel."
        )
    cancelled = BulkChunk.objects.filter(run=run, status=BulkChunk.Status.PENDING).update(
        status=BulkChunk.Status.CANCELLED, finished_at=timezone.now()
    )
    run.chunks_cancelled = F("chunks_cancelled") + cancelled
    run.status, run.finished_at = BulkRun.Status.CANCELLED, timezone.now()
    run.save(update_fields=["chunks_cancelled", "status", "finished_at"])
    run.refresh_from_db()
    return run
