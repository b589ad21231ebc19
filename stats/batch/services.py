"""What one flushed batch does: each product recomputed once, however often it was saved."""

import logging
import time
from collections.abc import Iterable

from django.db import OperationalError

from config.humanize import quantity
from stats.recompute.marks import category_stats_mark_stale
from stats.recompute.products import RecomputeResult, product_stats_recompute
from stats.records.flushes import batch_flush_record
from stats.records.task_runs import BATCH, task_run_record

logger = logging.getLogger(__name__)

#: Two recomputes of the same products at once (a shard changing hands, a redelivered
#: batch beside its first run) can deadlock in MariaDB, which rolls one back and says to
#: restart it: a batch cannot be retried as a task, so it runs the recompute again itself.
LOCK_CONFLICT_ATTEMPTS = 3


def _recompute_retrying_lock_conflicts(product_ids: list[int]) -> RecomputeResult:
    for attempt in range(1, LOCK_CONFLICT_ATTEMPTS):
        try:
            return product_stats_recompute(product_ids=product_ids, defer_categories=True)
        except OperationalError as exc:
            logger.warning(
                "Batch recompute of %s rolled back (%s); running it again.",
                quantity(len(product_ids), "product"),
                exc,
            )
            time.sleep(0.1 * attempt)  # let the other transaction commit
    return product_stats_recompute(product_ids=product_ids, defer_categories=True)  # last try


def product_stats_batch_process(
    *,
    product_ids: Iterable[int],
    category_ids: Iterable[int] = (),
    requests: int,
    rejected: int = 0,
    worker: str = "",
) -> RecomputeResult:
    """Recompute one flushed batch: the de-duplication happens here.

    ``category_ids`` are the categories of products deleted since they were queued (the
    deleted product's statistics row, which remembered its category, is gone). Category
    statistics are only marked here and refreshed periodically (``CategoryStaleness``
    says why). The batch is recorded (``stats.records``) whatever happens, because
    celery-batches acks the whole batch even when it raised: a failure is logged and the
    products keep their stale marks for the sweep.
    """
    started = time.monotonic()
    distinct = sorted(set(product_ids))
    result = RecomputeResult()
    error = ""
    try:
        result = _recompute_retrying_lock_conflicts(distinct)
        category_stats_mark_stale(category_ids=category_ids)
        if result.failed:
            error = (
                f"{result.failed} of {len(distinct)} products failed; they stay stale for "
                "the sweep (the worker's log has each traceback)"
            )
    except Exception as exc:
        logger.exception(
            "Batch of %s (%s) failed; they stay stale for the sweep.",
            quantity(requests, "request"),
            quantity(len(distinct), "product"),
        )
        result = RecomputeResult(failed=len(distinct))
        error = f"{type(exc).__name__}: {exc}"
    finally:
        batch_flush_record(
            worker=worker,
            requests=requests,
            rejected=rejected,
            products=len(distinct),
            computed=result.computed,
            skipped_current=result.skipped_current,
            missing=result.missing,
            failed=result.failed,
            seconds=time.monotonic() - started,
        )
        task_run_record(task=BATCH, seconds=time.monotonic() - started, error=error, worker=worker)
    return result
