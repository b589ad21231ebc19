"""Contracts with celery-batches (config.upstream: "celery-batches Strategy", "celery-batches
flush", "celery-batches buffer and flush timer").

Each test drives celery-batches' own ``Batches`` (not ``LeanBatches``) and observes what our
override relies on, so it fails when the pinned release changes it.
"""

import inspect
from itertools import count
from types import SimpleNamespace

from celery import Celery, signals
from celery_batches import Batches, SimpleRequest, consume_queue
from celery_batches.trace import apply_batches_task
from kombu.asynchronous.timer import Timer

from stats.batch.consumer import BufferedRequest, LeanBatches


def _batches_task():
    """A plain celery-batches task on an app of its own, its flushes recorded."""
    app = Celery("contracts", set_as_current=False)
    ran: list = []

    @app.task(base=Batches, flush_every=3, flush_interval=60, shared=False)
    def batch(requests):
        ran.append(requests)
        return len(requests)

    flushed: list = []
    batch.flush = flushed.append
    batch.ran = ran
    batch.flushed = flushed
    return batch


def _consumer(timer: Timer) -> SimpleNamespace:
    """What a strategy reads of Celery's consumer."""
    return SimpleNamespace(
        pool=SimpleNamespace(apply_async=None),
        hostname="contracts@host",
        connection_errors=(),
        event_dispatcher=SimpleNamespace(enabled=False, send=None),
        timer=timer,
    )


def test_a_consumer_start_builds_each_handler_from_the_tasks_strategy():
    from celery.worker.consumer.consumer import Consumer

    update = inspect.getsource(Consumer.update_strategies)
    assert "task.start_strategy(self.app, self)" in update
    # Task.start_strategy calls our Strategy with (task, app, consumer).
    assert "self.Strategy" in inspect.getsource(Batches.start_strategy)
    assert list(inspect.signature(Batches.Strategy).parameters) == [
        "self",
        "task",
        "app",
        "consumer",
    ]
    assert list(inspect.signature(LeanBatches.Strategy).parameters) == [
        "self",
        "task",
        "app",
        "consumer",
    ]


def test_do_flush_hands_every_buffered_request_to_flush_as_one_list():
    task = _batches_task()
    requests = [BufferedRequest(SimpleNamespace(), None, None) for _ in range(4)]
    for request in requests:
        task._buffer.put(request)
    task._count = count(5)

    task._do_flush()

    assert task.flushed == [requests]  # BufferedRequest's eta None: all ready at once
    assert task._buffer.empty() and task._pending.empty()
    assert next(task._count) == 1  # restarted after a flush


def test_apply_batches_task_runs_the_batch_of_simple_requests():
    parameters = list(inspect.signature(SimpleRequest.__init__).parameters)
    assert parameters == [
        "self",
        "id",
        "name",
        "args",
        "kwargs",
        "delivery_info",
        "hostname",
        "ignore_result",
        "reply_to",
        "correlation_id",
        "request_dict",
    ]
    assert list(inspect.signature(apply_batches_task).parameters) == [
        "task",
        "args",
        "loglevel",
        "logfile",
    ]
    task = _batches_task()
    simple = SimpleRequest("r-1", task.name, [7], {"v": 1}, {}, "h", True, None, None, {})
    seen: list[str] = []
    signals.task_prerun.connect(pre := lambda **kw: seen.append("prerun"), weak=False)
    signals.task_postrun.connect(post := lambda **kw: seen.append("postrun"), weak=False)
    try:
        result = apply_batches_task(task, ([simple],), 0, None)
    finally:
        signals.task_prerun.disconnect(pre)
        signals.task_postrun.disconnect(post)

    assert result == 1
    assert task.ran == [[simple]] and task.ran[0][0].args == [7]
    assert seen == ["prerun", "postrun"]


def test_the_flush_timer_entry_lives_in_tref_and_goes_when_all_is_flushed():
    task = _batches_task()
    timer = Timer()
    handler = task.Strategy(task, task.app, _consumer(timer))
    assert task._tref is None
    sent = task.app.amqp.as_task_v2("r-1", task.name, args=(1,))
    message = SimpleNamespace(
        headers=sent.headers,
        body=sent.body,
        payload=sent.body,
        properties=sent.properties,
        delivery_info={},
        content_type="application/x-python-serialize",
        content_encoding="binary",
    )

    handler(message, None, None, None, set())

    tref = task._tref
    assert tref is not None and timer.queue  # armed by the first request, on the timer
    assert tref.fun.__name__ == "_do_flush"  # a repeating entry around the bound method
    task._do_flush()  # flushes the one request
    task._do_flush()  # nothing left: the entry goes
    assert tref.canceled and task._tref is None
    assert list(consume_queue(task._buffer)) == []


def test_upstream_strategy_still_keeps_the_old_consumers_timer_entry():
    """The reconnect bug LeanBatches.start_consumer repairs (celery-batches #99/#107).

    When this fails, the pinned celery-batches carries upstream's fix (#108): read its
    Strategy, keep or drop ``LeanBatches.start_consumer`` to match, and delete the
    watchdog as its docstring says (stats/batch/watchdog.py).
    """
    task = _batches_task()
    old = Timer().call_repeatedly(60, task._do_flush)
    old.cancel()  # the previous consumer's timer, cleared on the reconnect
    task._tref = old
    task._buffer.put(BufferedRequest(SimpleNamespace(), None, None))

    task.Strategy(task, task.app, _consumer(Timer()))

    assert task._tref is old  # not re-armed: nothing flushes the buffer on the timer
