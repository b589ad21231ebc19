"""BatchFlushWatchdog: a batch buffer whose flush timer died is flushed and re-armed.

The stuck timer follows a broker reconnect that cannot be timed reliably in a test, so
the state it leaves behind is built here on the real batch task: requests buffered long
ago and a ``_tref`` that will never fire (cancelled, as the old consumer's timer was).
"""

import time
from types import SimpleNamespace

import pytest
from kombu.asynchronous.timer import Timer

from stats import worker_control
from stats.tasks import product_stats_batch
from stats.worker_control import BatchFlushWatchdog


@pytest.fixture
def task(monkeypatch):
    """The real batch task with an empty buffer, its flushes captured instead of pooled."""
    flushed: list[list] = []
    monkeypatch.setattr(product_stats_batch, "flush", lambda requests: flushed.append(requests))
    monkeypatch.setattr(product_stats_batch, "_tref", None)
    monkeypatch.setattr(worker_control, "_buffered_since", {})
    product_stats_batch.flushed = flushed
    yield product_stats_batch
    while not product_stats_batch._buffer.empty():
        product_stats_batch._buffer.get_nowait()
    del product_stats_batch.flushed


def _buffer(task, count: int, *, waited: float, channel: object = None) -> None:
    for number in range(count):
        message = SimpleNamespace(channel=channel)
        task._buffer.put(SimpleNamespace(eta=None, id=f"request-{number}", message=message))
    worker_control._buffered_since[task.name] = time.time() - waited


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
    worker_control._buffered_since[task.name] = time.time() - 10 * task.flush_interval

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


class _Channel:
    """Stands in for a py-amqp channel: the ledger only compares it by identity."""


@pytest.fixture
def amqp_channel(monkeypatch):
    monkeypatch.setattr(worker_control, "AMQPChannel", _Channel)
    monkeypatch.setattr(worker_control, "_ledger", None)
    return _Channel()


def _delivered(channel, tags, acks: list) -> list[worker_control.BufferedRequest]:
    """Batch requests as the strategy buffers them; their ack promises log into ``acks``."""
    requests = []
    for tag in tags:
        message = SimpleNamespace(channel=channel, delivery_tag=tag, acknowledged=False)

        def ack(logger, errors, multiple=False, tag=tag):
            acks.append((tag, multiple))

        worker_control.ack_ledger(channel).batched.add(tag)
        requests.append(worker_control.BufferedRequest(message, None, ack))
    return requests


def _other_task(channel, tag):
    message = SimpleNamespace(channel=channel, delivery_tag=tag, acknowledged=False)
    worker_control.ack_ledger(channel).record_other(message)
    return message


def test_a_batch_with_nothing_unsettled_below_it_is_acked_with_one_multiple_ack(amqp_channel):
    acks: list = []
    batch = _delivered(amqp_channel, range(1, 101), acks)

    worker_control.ack_batch(batch, ())

    assert acks == [(100, True)]


def test_another_task_still_running_below_the_batch_makes_each_request_acked_alone(
    amqp_channel,
):
    acks: list = []
    _other_task(amqp_channel, 1)  # the sweep, delivered first, still running
    batch = _delivered(amqp_channel, range(2, 6), acks)

    worker_control.ack_batch(batch, ())

    assert acks == [(tag, False) for tag in range(2, 6)]


def test_once_the_other_task_is_settled_the_next_batch_is_acked_at_once(amqp_channel):
    acks: list = []
    sweep = _other_task(amqp_channel, 1)
    worker_control.ack_batch(_delivered(amqp_channel, range(2, 6), acks), ())
    sweep.acknowledged = True
    acks.clear()

    worker_control.ack_batch(_delivered(amqp_channel, range(6, 10), acks), ())

    assert acks == [(9, True)]


def test_an_earlier_batch_still_running_makes_a_later_one_ack_each_request(amqp_channel):
    acks: list = []
    earlier = _delivered(amqp_channel, range(1, 5), acks)
    later = _delivered(amqp_channel, range(5, 9), acks)

    worker_control.ack_batch(later, ())  # two pool processes: the later batch returned first
    worker_control.ack_batch(earlier, ())

    assert acks == [(tag, False) for tag in range(5, 9)] + [(4, True)]


def test_messages_after_the_batch_do_not_hold_its_ack_back(amqp_channel):
    acks: list = []
    batch = _delivered(amqp_channel, range(1, 5), acks)
    _other_task(amqp_channel, 5)
    _delivered(amqp_channel, range(6, 8), acks)  # the next batch, filling

    worker_control.ack_batch(batch, ())

    assert acks == [(4, True)]


def test_a_new_channel_starts_a_new_ledger(amqp_channel):
    acks: list = []
    _other_task(amqp_channel, 1)  # unsettled on the old channel, redelivered elsewhere
    batch = _delivered(_Channel(), range(1, 4), acks)

    worker_control.ack_batch(batch, ())

    assert acks == [(3, True)]


def test_the_embedded_broker_acks_each_request(monkeypatch):
    # kombu's virtual transports ignore ``multiple``: one ack would settle one message.
    monkeypatch.setattr(worker_control, "_ledger", None)
    acks: list = []
    channel = object()
    requests = [
        worker_control.BufferedRequest(
            SimpleNamespace(channel=channel, delivery_tag=tag),
            None,
            lambda logger, errors, multiple=False, tag=tag: acks.append((tag, multiple)),
        )
        for tag in (1, 2)
    ]

    worker_control.ack_batch(requests, ())

    assert acks == [(1, False), (2, False)]
