"""The sampler's presence memory: one missed reply is not a worker gone."""

from django.utils import timezone

from config.queues import QUEUE_STATS_BATCH
from stats.monitoring.sampler import Presence
from stats.monitoring.snapshot import BatchBuffer, QueueFigures, Snapshot


def _snapshot(consumers: int, *, source: str = "filesystem + workers", buffers=()) -> Snapshot:
    queue = QueueFigures(QUEUE_STATS_BATCH, source, ready=0, consumers=consumers)
    queue.active_consumers = consumers
    return Snapshot(
        taken_at=timezone.now(),
        broker_source=source,
        queues={QUEUE_STATS_BATCH: queue},
        batch_buffers=None if buffers is None else list(buffers),
    )


def _seen(presence: Presence, consumers: int, **kwargs) -> int | None:
    snapshot = _snapshot(consumers, **kwargs)
    presence.smooth(snapshot, max_misses=3)
    return snapshot.queues[QUEUE_STATS_BATCH].consumers


def test_a_worker_that_misses_replies_is_gone_only_after_consecutive_misses():
    presence = Presence()
    assert _seen(presence, 1) == 1
    assert [_seen(presence, 0) for _ in range(3)] == [1, 1, 0]
    assert _seen(presence, 1) == 1
    assert _seen(presence, 0) == 1  # the count of misses started again


def test_a_broker_that_counts_consumers_is_believed_at_once():
    presence = Presence()
    assert _seen(presence, 1, source="management") == 1
    assert _seen(presence, 0, source="management") == 0


def test_buffers_of_workers_that_missed_one_reply_are_the_last_known():
    buffer = BatchBuffer("batch@host", "stats.product_stats_batch", 0, None, None, 300, 100)
    presence = Presence()
    _seen(presence, 1, buffers=[buffer])
    snapshot = _snapshot(1, buffers=None)
    presence.smooth(snapshot, max_misses=3)
    assert snapshot.batch_buffers == [buffer]
