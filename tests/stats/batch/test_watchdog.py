"""BatchFlushWatchdog: a batch buffer whose flush timer died is flushed and re-armed.

The stuck timer follows a broker reconnect that cannot be timed reliably in a test, so
the state it leaves behind is built here on the real batch task: requests buffered long
ago and a ``_tref`` that will never fire (cancelled, as the old consumer's timer was).
"""

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


def test_after_a_reconnect_requests_of_the_old_connection_are_dropped_and_the_timer_reset(
    task, caplog
):
    old_channel, new_channel = object(), object()
    dead = Timer().call_repeatedly(task.flush_interval, task._do_flush)
    task._tref = dead
    _buffer(task, 5, waited=1, channel=old_channel)
    _buffer(task, 2, waited=1, channel=new_channel)
    timer = Timer()
    consumer = SimpleNamespace(timer=timer, task_consumer=SimpleNamespace(channel=new_channel))

    BatchFlushWatchdog.forget_previous_connection(None, consumer, task)

    assert task._buffer.qsize() == 2
    assert "dropped 5 buffered requests" in caplog.text
    assert dead.canceled
    assert task._tref is not dead and timer.queue  # the 2 left flush on the new timer


def test_after_a_reconnect_with_nothing_left_the_next_request_re_arms_the_timer(task):
    task._tref = Timer().call_repeatedly(task.flush_interval, task._do_flush)
    _buffer(task, 3, waited=1, channel=object())
    consumer = SimpleNamespace(timer=Timer(), task_consumer=SimpleNamespace(channel=object()))

    BatchFlushWatchdog.forget_previous_connection(None, consumer, task)

    assert task._buffer.empty()
    assert task._tref is None  # celery-batches arms a new timer on the next request


# --- One ack per batch (AckLedger) ----------------------------------------------------------
