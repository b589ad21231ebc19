"""Contracts with Celery's worker consumer (config.upstream: "Celery ack promise", "Celery
consumer blueprint steps", "Celery worker_init sender", "Celery consumer rate-limit buckets",
"Celery consumer queues and close state").

Upstream's own code is driven where it can be (a real WorkController built as ``celery
worker`` builds it, the consumer's task handler, its bucket loop, a bootsteps blueprint)
and what our overrides rely on is observed.
"""

import inspect
import logging
from types import SimpleNamespace

import pytest
from celery import Celery, bootsteps, signals
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import worker_init
from celery.worker.consumer.consumer import Consumer
from celery.worker.consumer.tasks import Tasks
from kombu import Connection
from kombu.asynchronous.timer import Timer
from kombu.message import Message
from kombu.utils.imports import symbol_by_name
from kombu.utils.limits import TokenBucket

from config.celery import _queues_match_broker
from config.consumer import WorkerConsumer
from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_STATS_NOW
from stats.bulk.ratelimit import SteadyRateConsumer, SteadyTokenBucket

DELAYED = "celery.worker.consumer.delayed_delivery:DelayedDelivery"


class _Channel:
    no_ack_consumers = None

    def __init__(self) -> None:
        self.acks: list[tuple[int, bool]] = []

    def basic_ack(self, delivery_tag: int, multiple: bool = False) -> None:
        self.acks.append((delivery_tag, multiple))


def _handler_owner(strategies: dict) -> SimpleNamespace:
    """What Consumer.create_task_handler reads of its consumer."""
    return SimpleNamespace(
        strategies=strategies,
        on_unknown_message=None,
        on_unknown_task=None,
        on_invalid_task=None,
        on_task_message=set(),
        call_soon=lambda fun, *args: fun(*args),
        _restore_prefetch_count_after_connection_restart=lambda *a: None,
        _maximum_prefetch_restored=True,
        restart_count=0,
        _new_prefetch_count=1,
        max_prefetch_count=1,
    )


def test_the_ack_promise_passes_multiple_on_to_one_basic_ack():
    handed: list = []
    owner = _handler_owner({"t": lambda message, payload, ack, reject, cb: handed.append(ack)})
    on_task_received = Consumer.create_task_handler(owner)
    channel = _Channel()
    message = Message(body=b"", delivery_tag=7, channel=channel, headers={"task": "t"})

    on_task_received(message)
    handed[0](logging.getLogger(__name__), (), True)  # as stats.batch.acks.ack_batch calls it

    assert channel.acks == [(7, True)]
    assert message.acknowledged


def test_the_task_handler_reads_strategies_at_each_message():
    strategies: dict = {}
    on_task_received = Consumer.create_task_handler(_handler_owner(strategies))
    seen: list[str] = []
    # RecordOtherDeliveries wraps entries after the Tasks step built the handler's dict.
    strategies["t"] = lambda message, *args: seen.append("wrapped")

    on_task_received(Message(body=b"", delivery_tag=1, channel=_Channel(), headers={"task": "t"}))

    assert seen == ["wrapped"]
    assert "c.update_strategies()" in inspect.getsource(Tasks.start)


def test_the_delayed_delivery_step_can_be_left_out():
    upstream = list(Consumer.Blueprint.default_steps)
    assert DELAYED in upstream
    assert list(WorkerConsumer.Blueprint.default_steps) == [s for s in upstream if s != DELAYED]
    assert SteadyRateConsumer.Blueprint is WorkerConsumer.Blueprint  # shared, not restated
    for name in WorkerConsumer.Blueprint.default_steps:
        requires = [
            r if isinstance(r, str) else f"{r.__module__}:{r.__name__}"
            for r in symbol_by_name(name).requires
        ]
        assert DELAYED not in requires, name


@pytest.fixture
def worker_app(monkeypatch):
    """An app with our queues, built as ``celery -A config worker`` would see them, without
    the broker check (no broker needed) and without Celery's Django worker fixup, which
    would connect task signals closing this test process's database connections."""
    from config.celery import app as main

    monkeypatch.setattr(DjangoWorkerFixup, "install", lambda self: self)
    app = Celery("contracts", set_as_current=False)
    app.conf.update(task_queues=main.conf.task_queues, broker_url="memory://")
    worker_init.disconnect(_queues_match_broker)
    yield app
    worker_init.connect(_queues_match_broker)


def _work_controller(app: Celery, queues: list[str]):
    return app.WorkController(
        hostname="contracts@host",
        pool_cls="solo",
        queues=queues,
        concurrency=1,
        without_mingle=True,
        without_gossip=True,
        without_heartbeat=True,
    )


def test_worker_init_sets_the_consumer_class_and_steps_used(worker_app):
    prerun = list(signals.task_prerun.receivers)
    bulk = _work_controller(worker_app, [QUEUE_STATS_BULK])
    assert bulk.consumer_cls == "stats.bulk.ratelimit:SteadyRateConsumer"  # set by our handler
    assert isinstance(bulk.consumer, SteadyRateConsumer)
    assert bulk.consumer.prefetch_multiplier == 1
    assert not any(s.endswith(":DelayedDelivery") for s in bulk.consumer.blueprint.types)

    batch = _work_controller(worker_app, [QUEUE_STATS_BATCH, QUEUE_STATS_NOW])
    assert isinstance(batch.consumer, WorkerConsumer)
    steps = {f"{type(s).__module__}:{type(s).__name__}" for s in batch.consumer.steps}
    assert "stats.batch.watchdog:BatchFlushWatchdog" in steps  # app.steps read after the signal
    assert list(signals.task_prerun.receivers) == prerun  # nothing left behind


def test_schedule_bucket_request_moves_granted_heads_and_waits_for_others():
    task = SimpleNamespace(rate_limit="30/h")
    bucket = Consumer.bucket_for_task(SimpleNamespace(), task)
    assert isinstance(bucket, TokenBucket)
    assert (bucket.fill_rate, bucket.capacity) == (30 / 3600, 1)

    consumer = SteadyRateConsumer.__new__(SteadyRateConsumer)  # no connection needed
    moved: list = []
    consumer.timer, consumer._limit_order = Timer(), 0
    consumer._limit_move_to_pool = moved.append
    steady = SteadyTokenBucket(bucket.fill_rate, capacity=bucket.capacity)
    first, second = SimpleNamespace(name="other", args=[1]), SimpleNamespace(name="other", args=[2])
    steady.add((first, 1))
    steady.add((second, 1))

    consumer._schedule_bucket_request(steady)

    assert moved == [first]  # the full bucket's one token
    assert list(steady.contents) == [(second, 1)]  # kept at the head, in order
    assert consumer.timer.queue  # retried on the timer when a token is due


def test_a_selected_queue_is_consumed_again_after_a_reconnect(worker_app):
    queues = worker_app.amqp.queues
    queues.select([QUEUE_STATS_BATCH])
    shard = next(name for name in queues if name not in (QUEUE_STATS_BATCH,))
    queues.select_add(queues[shard])
    assert set(queues.consume_from) == {QUEUE_STATS_BATCH, shard}
    # Every Tasks.start (each reconnect) builds the task consumer from consume_from.
    assert "c.app.amqp.TaskConsumer(" in inspect.getsource(Tasks.start)
    with Connection("memory://") as conn:
        consumer = worker_app.amqp.TaskConsumer(conn)
        assert {q.name for q in consumer.queues} == {QUEUE_STATS_BATCH, shard}
    for name in ("add_task_queue", "cancel_task_queue"):
        assert callable(getattr(Consumer, name))


def test_the_consumer_blueprint_is_closed_on_shutdown_only():
    seen: list[int] = []

    class Recording(bootsteps.StartStopStep):
        def stop(self, parent):
            seen.append(parent.blueprint.state)

    class Blueprint(bootsteps.Blueprint):
        name = "contracts"
        default_steps = {Recording}

    parent = SimpleNamespace(steps=[])
    parent.blueprint = Blueprint()
    parent.blueprint.apply(parent)
    parent.blueprint.start(parent)

    parent.blueprint.restart(parent)  # what Consumer.start does after a connection error
    parent.blueprint.stop(parent)  # a worker shutting down

    assert seen == [bootsteps.RUN, bootsteps.CLOSE]  # type: ignore[attr-defined]
    assert "blueprint.restart(self)" in inspect.getsource(Consumer.start)
