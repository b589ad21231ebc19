"""The backstop: products whose stale mark outlived the batch that should have cleared it."""

import logging
from datetime import timedelta

from django.conf import settings

from stats.recompute.categories import category_stats_refresh_stale
from stats.recompute.products import RecomputeResult, product_stats_recompute
from stats.recompute.selectors import stale_products
from stats.records.flushes import batch_flushes_prune

logger = logging.getLogger(__name__)


def product_stats_sweep_stale(
    *,
    older_than: timedelta | None = None,
    chunk_size: int | None = None,
    max_chunks: int | None = None,
) -> RecomputeResult:
    """Recompute products stale for longer than a batch should take.

    A stale mark older than the flush interval plus a margin means its request was lost
    (broker outage, killed worker, failed batch). Work is bounded per sweep so a large
    backlog is caught up over several sweeps instead of one endless task. Then the
    categories marked stale are refreshed (those of the products just recomputed, and of
    products deleted while their request was lost: a delete marks its category), not
    every category: at 1,000,000 products that read the whole catalog every sweep.
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
        result += product_stats_recompute(product_ids=ids, defer_categories=True)
    result += RecomputeResult(categories=category_stats_refresh_stale())
    batch_flushes_prune(older_than=timedelta(days=settings.STATS_BATCH_FLUSH_RETENTION_DAYS))
    if result.computed or result.failed:
        logger.info("Stale sweep: %s", result)
    return result
