"""When the batched path will update a product saved now, from the batch workers' buffers.

A save's request joins a batch worker's buffer; celery-batches' timer flushes a buffer at
most ``flush_interval`` after its first request (a full buffer flushes sooner, which
nobody can promise). So a request that joins a buffer holding requests since
``buffered_since`` is flushed by ``buffered_since + flush_interval``, and one that finds
the buffer empty within one interval. Which batch worker gets it is RabbitMQ's choice, so
with several workers the latest of them is the promise. The buffers come from the stored
monitoring snapshot (sampled every few seconds); without a recent one, the interval
setting is the bound. It lives with monitoring because it reads the snapshot: the paths
below never import monitoring, and the admin above reads this for its save message.
"""

import time
from dataclasses import dataclass

from django.conf import settings

from config.queues import TASK_PRODUCT_STATS_BATCH
from stats.monitoring.services import monitoring_snapshot_latest
from stats.monitoring.snapshot import BatchBuffer, Snapshot


@dataclass(frozen=True)
class BatchEta:
    #: Seconds from now until the figures of a product saved now are updated, at most.
    seconds: float
    #: True when read from the workers' buffers, False when only the setting is known.
    from_buffers: bool


def _buffer_eta(buffer: BatchBuffer, now: float) -> float:
    interval = float(buffer.flush_interval)
    if buffer.buffered and buffer.buffered_since is not None:
        # To the millisecond: the stored snapshot keeps times in ISO 8601 (microseconds),
        # and a rounding crumb must not become a whole second once rounded up.
        left = round(buffer.buffered_since + interval - now, 3)
        if left > 0:
            return left
    # An empty buffer (the request starts or meets a running timer), or one whose flush
    # is already due: within one interval either way.
    return interval


def batch_update_eta(
    snapshot: Snapshot | None, *, now: float, flush_interval: float, max_age: float
) -> BatchEta:
    """The bound for a request published at ``now`` (wall clock, as the workers report)."""
    if snapshot is None or snapshot.batch_buffers is None:
        return BatchEta(float(flush_interval), from_buffers=False)
    if now - snapshot.taken_at.timestamp() > max_age:
        return BatchEta(float(flush_interval), from_buffers=False)
    buffers = [b for b in snapshot.batch_buffers if b.task == TASK_PRODUCT_STATS_BATCH]
    if not buffers:  # no batch worker answered in time: nothing to read
        return BatchEta(float(flush_interval), from_buffers=False)
    return BatchEta(max(_buffer_eta(b, now) for b in buffers), from_buffers=True)


def product_stats_batch_eta() -> BatchEta:
    """When a product saved now gets its figures on the batched path (one indexed read)."""
    snapshot = monitoring_snapshot_latest()
    stored = snapshot.broker_source != "none"  # "none": nothing stored yet
    return batch_update_eta(
        snapshot if stored else None,
        now=time.time(),
        flush_interval=settings.STATS_BATCH_FLUSH_INTERVAL,
        max_age=settings.STATS_MONITOR_SNAPSHOT_MAX_AGE,
    )
