"""The public services of stats by name; each lives in the sub-package that does the job.

Writes of the statistics are in ``stats.recompute`` (marks, products, categories, the
sweep), a flushed batch in ``stats.batch.services``, runs and chunks in
``stats.bulk.services``, snapshots in ``stats.monitoring.services``.
"""

from stats.batch.services import product_stats_batch_process
from stats.bulk.services import (
    bulk_chunk_process,
    bulk_run_cancel,
    bulk_run_progress,
    bulk_run_start,
    bulk_run_start_scheduled,
)
from stats.monitoring.services import monitoring_samples_record, monitoring_snapshot
from stats.recompute.categories import (
    category_stats_recompute,
    category_stats_recompute_all,
    category_stats_refresh_stale,
)
from stats.recompute.marks import category_stats_mark_stale, product_stats_mark_stale
from stats.recompute.products import RecomputeResult, product_stats_recompute
from stats.recompute.sweep import product_stats_sweep_stale

__all__ = [
    "RecomputeResult",
    "bulk_chunk_process",
    "bulk_run_cancel",
    "bulk_run_progress",
    "bulk_run_start",
    "bulk_run_start_scheduled",
    "category_stats_mark_stale",
    "category_stats_recompute",
    "category_stats_recompute_all",
    "category_stats_refresh_stale",
    "monitoring_samples_record",
    "monitoring_snapshot",
    "product_stats_batch_process",
    "product_stats_mark_stale",
    "product_stats_recompute",
    "product_stats_sweep_stale",
]
