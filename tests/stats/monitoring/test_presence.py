"""The sampler's presence memory: one missed reply is not a worker gone."""

import pytest
from django.utils import timezone

from config.queues import QUEUE_STATS_BATCH
from stats.monitoring import checks, services
from stats.monitoring.presence import Presence
from stats.monitoring.snapshot import OK, BatchBuffer, QueueFigures, Snapshot


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


@pytest.mark.django_db
def test_a_sample_is_judged_once_after_smoothing_and_read_as_it_was_judged(monkeypatch):
    judged: list[int | None] = []
    judge = checks.monitoring_checks

    def judging(snapshot: Snapshot) -> list[checks.Check]:
        judged.append(snapshot.queues[QUEUE_STATS_BATCH].consumers)
        return judge(snapshot)

    # Wherever a sample could be judged from: the builder's name and the checks' own.
    monkeypatch.setattr(services, "monitoring_checks", judging)
    monkeypatch.setattr(checks, "monitoring_checks", judging)
    presence = Presence()

    def sample(consumers: int) -> Snapshot:
        seen = _snapshot(consumers)
        return services.monitoring_snapshot(
            queues=seen.queues,
            broker_source=seen.broker_source,
            batch_buffers=[],
            presence=presence,
        )

    sample(1)
    missed = sample(0)  # one missed reply: still the worker's count, and judged so
    assert judged == [1, 1]
    (worker,) = [check for check in missed.checks if check.name == "batch worker"]
    assert worker.status == OK

    services.monitoring_snapshot_store(missed)
    read = services.monitoring_snapshot_latest()
    assert judged == [1, 1]  # reading does not judge again
    assert [c.name for c in read.checks] == [checks.FRESHNESS] + [c.name for c in missed.checks]
    assert read.checks[1:] == missed.checks
