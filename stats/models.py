"""The models of the stats app, for Django: each lives in the sub-package that owns it.

Django registers an app's models by importing its ``models`` module, so this one imports
them all (same app label ``stats``, same tables). Code imports a model from its home:

- ``stats.recompute.models``: the statistics and their stale marks.
- ``stats.records.models``: what the paths record of their work (flushes, task runs).
- ``stats.batch.models``: the batch workers' shard leases.
- ``stats.bulk.models``: bulk runs and their chunks.
- ``stats.monitoring.models``: the latest snapshot, the chart's samples, the ops page.
"""

from stats.batch.models import BatchWorkerLease
from stats.bulk.models import BulkChunk, BulkRun
from stats.monitoring.models import LatestSnapshot, OpsDashboard, QueueSample
from stats.recompute.models import (
    CategoryDirectStats,
    CategoryPriceRange,
    CategoryStaleness,
    CategoryStats,
    ProductStaleness,
    ProductStats,
)
from stats.records.models import BatchFlush, TaskFailure, TaskRunMinute, TaskRunTotal

__all__ = [
    "BatchFlush",
    "BatchWorkerLease",
    "BulkChunk",
    "BulkRun",
    "CategoryDirectStats",
    "CategoryPriceRange",
    "CategoryStaleness",
    "CategoryStats",
    "LatestSnapshot",
    "OpsDashboard",
    "ProductStaleness",
    "ProductStats",
    "QueueSample",
    "TaskFailure",
    "TaskRunMinute",
    "TaskRunTotal",
]
