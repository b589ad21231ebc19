"""When a saved product's figures update, from the batch workers' buffers (monitoring.eta)."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from config.queues import TASK_PRODUCT_STATS_BATCH
from stats.monitoring.eta import batch_update_eta, product_stats_batch_eta
from stats.monitoring.services import monitoring_snapshot_store
from stats.monitoring.snapshot import BatchBuffer, Snapshot

NOW = 1_800_000_000.0  # wall clock, as the workers report their buffers
INTERVAL = 300


def _buffer(*, buffered: int, since: float | None, interval: int = INTERVAL, task=None):
    return BatchBuffer(
        worker="batch@host",
        task=task or TASK_PRODUCT_STATS_BATCH,
        buffered=buffered,
        last_flush_at=NOW - 400,
        started_at=NOW - 3600,
        flush_interval=interval,
        flush_every=100,
        buffered_since=since,
    )


def _snapshot(buffers: list[BatchBuffer] | None, *, age: float = 3) -> Snapshot:
    return Snapshot(
        taken_at=datetime.fromtimestamp(NOW - age, tz=UTC),
        broker_source="management",
        batch_buffers=buffers,
    )


def _eta(snapshot: Snapshot | None, interval: int = INTERVAL):
    return batch_update_eta(snapshot, now=NOW, flush_interval=interval, max_age=30)


def test_a_request_joining_a_buffer_is_flushed_one_interval_after_its_first_request():
    eta = _eta(_snapshot([_buffer(buffered=12, since=NOW - 48)]))

    assert (eta.seconds, eta.from_buffers) == (252, True)


def test_a_request_finding_the_buffer_empty_waits_at_most_one_interval():
    eta = _eta(_snapshot([_buffer(buffered=0, since=None, interval=120)]))

    assert (eta.seconds, eta.from_buffers) == (120, True)


def test_a_buffer_whose_flush_is_already_due_promises_one_interval_not_a_past_time():
    eta = _eta(_snapshot([_buffer(buffered=5, since=NOW - 310)]))

    assert eta.seconds == INTERVAL


def test_with_several_batch_workers_the_latest_flush_is_the_promise():
    # RabbitMQ picks the worker that gets the request: only the latest is a promise.
    buffers = [
        _buffer(buffered=3, since=NOW - 250),
        _buffer(buffered=7, since=NOW - 100),
        _buffer(buffered=99, since=NOW - 10, task="stats.another_batches_task"),
    ]

    assert _eta(_snapshot(buffers)).seconds == 200


@pytest.mark.parametrize(
    "snapshot",
    [
        pytest.param(None, id="nothing stored yet"),
        pytest.param(_snapshot(None), id="workers could not be asked"),
        pytest.param(_snapshot([]), id="no batch worker answered"),
        pytest.param(_snapshot([_buffer(buffered=3, since=NOW - 250)], age=31), id="stale"),
    ],
)
def test_without_a_recent_answer_from_a_batch_worker_the_interval_setting_is_the_bound(snapshot):
    eta = _eta(snapshot, interval=300)

    assert (eta.seconds, eta.from_buffers) == (300, False)


@pytest.mark.django_db
def test_the_service_reads_the_stored_snapshot(settings):
    settings.STATS_MONITOR_SNAPSHOT_MAX_AGE = 30
    snapshot = _snapshot([_buffer(buffered=4, since=time.time() - 60)])
    snapshot.taken_at = timezone.now() - timedelta(seconds=2)
    monitoring_snapshot_store(snapshot)

    eta = product_stats_batch_eta()

    assert eta.from_buffers
    assert INTERVAL - 62 <= eta.seconds <= INTERVAL - 60  # the clock moved a little since


@pytest.mark.django_db
def test_the_service_falls_back_to_the_setting_without_any_snapshot(settings):
    settings.STATS_BATCH_FLUSH_INTERVAL = 300

    assert product_stats_batch_eta().seconds == 300
