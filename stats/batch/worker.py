"""The batch worker's prefetch rule (its role in ``config.queues.ROLES`` names it).

celery-batches can only count up to what the broker lets the worker hold unacked, so a
batch worker must be allowed at least two full batches (``2 x flush_every`` messages) or
it only ever flushes on the timer, in prefetch-sized batches.
"""

import math

from django.conf import settings


def batch_prefetch_multiplier(concurrency: int) -> int:
    """The prefetch multiplier that lets ``concurrency`` processes hold two full batches."""
    return max(1, math.ceil(2 * settings.STATS_BATCH_FLUSH_EVERY / max(1, concurrency)))
