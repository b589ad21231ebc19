"""Every Celery task of stats, where ``app.autodiscover_tasks()`` looks for them.

Each sub-package keeps its own wiring: ``stats.batch.tasks`` (the batched recompute, the
stale sweep, the category refresh), ``stats.bulk.tasks`` (bulk chunks, the nightly run,
resume), ``stats.now.tasks`` (one product on request). ``stats.monitoring.sampler`` is
imported too: beat starts its thread.
"""

from stats.batch.tasks import category_stats_refresh, product_stats_batch, stale_sweep
from stats.bulk.tasks import bulk_chunk, bulk_nightly, bulk_resume
from stats.monitoring import sampler  # noqa: F401  (the sampler thread beat starts)
from stats.now.tasks import product_stats_now

__all__ = [
    "bulk_chunk",
    "bulk_nightly",
    "bulk_resume",
    "category_stats_refresh",
    "product_stats_batch",
    "product_stats_now",
    "stale_sweep",
]
