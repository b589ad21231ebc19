"""Queue and task names, importable from settings and from config/celery.py alike."""

#: Tasks with no dedicated queue.
QUEUE_DEFAULT = "default"
#: celery-batches statistics recomputation after editor saves (and the stale sweep).
QUEUE_STATS_BATCH = "stats.batch"
#: With STATS_BATCH_SHARDS > 1, save requests go to ``stats.batch.shard.<product id % N>``
#: instead (``batch_shard_queue``); ``stats.batch`` keeps the sweep and bookkeeping.
QUEUE_STATS_BATCH_SHARD_PREFIX = "stats.batch.shard."
#: Rate-limited bulk recomputation, consumed by one dedicated worker.
QUEUE_STATS_BULK = "stats.bulk"
#: One product recomputed now (the "Recompute statistics" button), outside the batch
#: buffer; consumed by the batch worker beside ``stats.batch``.
QUEUE_STATS_NOW = "stats.now"
#: Catalog imports (one file at a time), consumed by the import worker: never the batch or
#: bulk queue, whose workers must keep up with saves and hold a steady rate.
QUEUE_CATALOG_IMPORTS = "catalog.imports"

TASK_PRODUCT_STATS_BATCH = "stats.product_stats_batch"
TASK_PRODUCT_STATS_NOW = "stats.product_stats_now"
TASK_STALE_SWEEP = "stats.stale_sweep"
TASK_CATEGORY_REFRESH = "stats.category_stats_refresh"
TASK_BULK_CHUNK = "stats.bulk_chunk"
TASK_BULK_NIGHTLY = "stats.bulk_nightly"
TASK_BULK_RESUME = "stats.bulk_resume"
TASK_CATALOG_IMPORT = "catalog.import_run"
TASK_CATALOG_IMPORT_SWEEP = "catalog.import_sweep"


def batch_shard_queue(shard: int) -> str:
    """The name of batch shard queue ``shard`` (0-based)."""
    return f"{QUEUE_STATS_BATCH_SHARD_PREFIX}{shard}"


def batch_shard_queue_names(count: int) -> list[str]:
    """The shard queues of ``count`` shards: none for one (save requests use ``stats.batch``)."""
    return [batch_shard_queue(shard) for shard in range(count)] if count > 1 else []
