"""BatchFlushWatchdog: a batch buffer whose flush timer died is flushed and re-armed; and
LeanBatches' repair on a new consumer (upstream #108), which makes the watchdog a last resort.

The stuck timer follows a broker reconnect that cannot be timed reliably in a test, so
the state it leaves behind is built here on the real batch task: requests buffered long
ago and a ``_tref`` that will never fire (cancelled, as the old consumer's timer was).
"""

import json
import time
from types import SimpleNamespace

import pytest
from kombu.asynchronous.timer import Timer

from stats.batch import consumer, watchdog
from stats.batch.tasks import product_stats_batch
from stats.batch.watchdog import BatchFlushWatchdog


@pytest.fixture
def task(monkeypatch):
    """The real batch task with an empty buffer, its flushes captured instead of pooled."""
    flushed: list[list] = []
    monkeypatch.setattr(product_stats_batch, "flush", lambda requests: flushed.append(requests))
    monkeypatch.setattr(product_stats_batch, "_tref", None)
    for name in ("_pool", "_connection_errors", "_count"):  # Strategy sets them
        monkeypatch.setattr(
            product_stats_batch, name, getattr(product_stats_batch, name, None), raising=False
        )
    monkeypatch.setattr(consumer, "buffered_since", {})
    monkeypatch.setattr(watchdog, "buffered_since", consumer.buffered_since)
    product_stats_batch.flushed = flushed
    yield product_stats_batch
    while not product_stats_batch._buffer.empty():
        product_stats_batch._buffer.get_nowait()
    del product_stats_batch.flushed


def _buffer(task, count: int, *, waited: float, channel: object = None) -> None:
    for number in range(count):
        message = SimpleNamespace(channel=channel)
        task._buffer.put(SimpleNamespace(eta=None, id=f"request-{number}", message=message))
    consumer.buffered_since[task.name] = time.time() - waited


def _check(task, timer: Timer) -> None:
    BatchFlushWatchdog.check(None, SimpleNamespace(timer=timer), [task])


def test_a_buffer_waiting_over_twice_the_interval_is_flushed_and_its_timer_re_armed(task, caplog):
    dead = Timer().call_repeatedly(task.flush_interval, task._do_flush)
    dead.cancel()  # the old consumer's timer: it will never fire again
    task._tref = dead
    _buffer(task, 30, waited=2 * task.flush_interval + 1)
    timer = Timer()

    _check(task, timer)

    assert [len(requests) for requests in task.flushed] == [30]
    assert "re-arming its flush timer" in caplog.text
    assert task._buffer.empty()
    assert task._tref is not dead and not task._tref.canceled
    assert timer.queue  # the new timer is scheduled on the current consumer's timer


def test_a_buffer_within_twice_the_interval_is_left_to_its_timer(task):
    _buffer(task, 30, waited=2 * task.flush_interval - 5)

    _check(task, Timer())

    assert task.flushed == []
    assert task._buffer.qsize() == 30


def test_an_empty_buffer_is_left_alone(task):
    consumer.buffered_since[task.name] = time.time() - 10 * task.flush_interval

    _check(task, Timer())

    assert task.flushed == []


def test_a_new_consumer_drops_the_previous_connections_requests_and_its_timer(task, caplog):
    """LeanBatches.start_consumer (upstream #108's re-arm): the old timer entry cancelled."""
    dead = Timer().call_repeatedly(task.flush_interval, task._do_flush)
    task._tref = dead
    _buffer(task, 5, waited=1, channel=object())

    task.start_consumer()

    assert task._buffer.empty()
    assert "dropped 5 buffered requests" in caplog.text
    assert dead.canceled
    assert task._tref is None  # the next request arms a timer on the new consumer's timer
    assert task.name not in consumer.buffered_since


def test_after_a_new_consumer_the_next_request_arms_the_new_consumers_timer(task):
    task._tref = Timer().call_repeatedly(task.flush_interval, task._do_flush)
    _buffer(task, 3, waited=1, channel=object())
    timer = Timer()
    worker = SimpleNamespace(pool=None, connection_errors=(), hostname="test@host", timer=timer)

    handler = task.Strategy(task, task.app, worker)
    handler(_message(), None, lambda *a, **k: None, lambda *a, **k: None, set())

    assert task._buffer.qsize() == 1
    assert task._tref is not None and not task._tref.canceled
    assert timer.queue  # armed on the new consumer's timer


def test_a_buffered_request_ignores_its_result_as_celery_decides(task):
    """The message's ignore_result, else the task's (found by tests/stats/batch/
    test_upstream_cases.py: every request used to ignore its result)."""
    worker = SimpleNamespace(pool=None, connection_errors=(), hostname="test@host", timer=Timer())
    handler = task.Strategy(task, task.app, worker)
    keeping = _message(headers={"id": "r-2", "ignore_result": False})

    for message in (_message(), keeping):
        handler(message, None, lambda *a, **k: None, lambda *a, **k: None, set())

    buffered = [task._buffer.get_nowait().simple for _ in range(2)]
    assert task.ignore_result is True  # our messages carry no ignore_result: the task's
    assert [r.ignore_result for r in buffered] == [True, False]


def _message(headers: dict | None = None) -> SimpleNamespace:
    body = json.dumps([[1], {"v": 1}, {}])
    return SimpleNamespace(
        channel=object(),
        delivery_tag=1,
        headers=headers or {"id": "r-1"},
        content_type="application/json",
        body=body,
    )


# --- One ack per batch (AckLedger) ----------------------------------------------------------
