"""The monitoring snapshot against real RabbitMQ (with its management API) and real workers.

The management API refreshes its queue figures every ~5 s (``collect_statistics_interval``),
so every figure read from it is polled until it matches; ``rabbitmqctl`` and passive
declares are live.
"""

import base64
import contextlib
import dataclasses
import json
import signal
import time
import urllib.parse
import urllib.request
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from kombu import Connection, Consumer, Queue

from config.queues import QUEUE_DEFAULT, QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_STATS_NOW
from stats.batch.tasks import queue_product_stats
from stats.bulk.tasks import bulk_chunk
from stats.monitoring.probes import take_snapshot
from stats.monitoring.services import monitoring_snapshot
from stats.monitoring.snapshot import CRITICAL, OK, QueueFigures, Snapshot
from stats.monitoring.sources import MONITORED_QUEUES, queues_from_management_api
from testkit.workers import (
    WorkerProcess,
    broker_vhost,
    purge_queue,
    queue_counts,
    rabbitmqctl_queues,
    wait_for,
)
from tests.conftest import IN_CI

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEFAULT_MANAGEMENT_URL = "http://guest:guest@127.0.0.1:15672"
STATS_SETTLE = 30  # seconds: several of the management API's 5 s statistics rounds
MISSING_CHUNK = 2_000_000_000  # a bulk message nobody consumes in these tests


def _management_error(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    auth = base64.b64encode(f"{parts.username}:{parts.password}".encode()).decode()
    request = urllib.request.Request(
        f"{parts.scheme}://{parts.hostname}:{parts.port}/api/overview",
        headers={"Authorization": f"Basic {auth}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            json.load(response)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture
def workers(broker_url):
    """Worker factory on clean queues; every worker started is killed at teardown."""
    if connection.vendor != "mysql":
        pytest.skip("worker processes need MariaDB (make test), not SQLite")
    for name in MONITORED_QUEUES:
        purge_queue(name)
    started: list[WorkerProcess] = []

    def start(*many: WorkerProcess) -> list[WorkerProcess]:
        for worker in many:  # start them side by side: each takes seconds to boot
            started.append(worker)
            worker.start(wait=False)
        for worker in many:
            worker.wait_ready()
        return list(many)

    yield start
    for worker in started:
        worker.kill(signal.SIGKILL)
    # RabbitMQ requeues a killed worker's unacked messages when it sees the connection
    # drop: wait for that before purging, so nothing leaks into the next test.
    with contextlib.suppress(AssertionError):  # someone else's worker is attached
        wait_for(
            lambda: all(queue_counts(name)[1] == 0 for name in MONITORED_QUEUES),
            timeout=5,
        )
    for name in MONITORED_QUEUES:
        purge_queue(name)


@pytest.fixture
def management(workers, settings):
    """The management API as the snapshot's source; skips locally (fails in CI) without it.

    It reports on the vhost the tests publish to: ``/`` may be another run's.
    """
    url = settings.RABBITMQ_MANAGEMENT_URL or DEFAULT_MANAGEMENT_URL
    error = _management_error(url)
    if error:
        message = f"RabbitMQ management API unreachable at {url}: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    settings.RABBITMQ_MANAGEMENT_URL = url
    settings.RABBITMQ_VHOST = broker_vhost()
    return url


def _management_queues(url: str, names=MONITORED_QUEUES) -> dict[str, QueueFigures]:
    """The management API's figures for the tests' own vhost."""
    return queues_from_management_api(url, broker_vhost(), names)


def _batch_worker(interval: int = 600) -> WorkerProcess:
    """A batch worker on both of its queues, as the Procfile starts it."""
    return WorkerProcess(
        queues=[QUEUE_STATS_BATCH, QUEUE_STATS_NOW],
        env={"STATS_BATCH_FLUSH_INTERVAL": str(interval)},
    )


def _products(product_factory, count: int) -> list:
    """Real products; creating them queued recompute requests, which are dropped here."""
    products = product_factory.create_batch(count)
    purge_queue(QUEUE_STATS_BATCH)
    return products


def _check(snapshot: Snapshot, name: str):
    (check,) = [c for c in snapshot.checks if c.name == name]
    return check


def _figures(queue: QueueFigures) -> tuple:
    return (queue.ready, queue.unacked, queue.consumers)


def _wait_for_no_batch_consumer(url: str) -> None:
    """A worker killed by the previous test stays counted until the next statistics round."""
    wait_for(
        lambda: _management_queues(url)[QUEUE_STATS_BATCH].consumers == 0,
        timeout=STATS_SETTLE,
        interval=0.5,
        message="the management API to count no consumer on stats.batch",
    )


def test_a_batch_worker_holding_30_requests_reports_them_buffered_and_unacked(
    management, workers, product_factory
):
    products = _products(product_factory, 30)
    (worker,) = workers(_batch_worker(interval=600))  # nothing flushes during the test
    sent_at = time.time()
    for product in products:
        queue_product_stats(product_id=product.pk)

    seen: list[Snapshot] = []

    def held() -> bool:
        seen.append(take_snapshot())
        mine = [b for b in seen[-1].batch_buffers or [] if b.worker == worker.hostname]
        batch = seen[-1].queues[QUEUE_STATS_BATCH]
        # The management API counts each queue's consumers in its own statistics round:
        # stats.now's consumer may show a round after stats.batch's (a warning meanwhile).
        return (
            [b.buffered for b in mine] == [30]
            and _figures(batch) == (0, 30, 1)
            and _check(seen[-1], "batch worker").status == OK
        )

    wait_for(held, timeout=STATS_SETTLE, interval=0.5, message="30 buffered and 30 unacked")

    snapshot = seen[-1]
    (buffer,) = [b for b in snapshot.batch_buffers if b.worker == worker.hostname]
    assert (buffer.task, buffer.flush_interval, buffer.flush_every) == (
        "stats.product_stats_batch",
        600,
        100,
    )
    assert buffer.last_flush_at is None
    assert sent_at - 1 <= buffer.buffered_since <= time.time()
    batch = snapshot.queues[QUEUE_STATS_BATCH]
    assert (batch.source, batch.active_consumers, batch.single_active_consumer) == (
        "management",
        1,
        False,
    )
    assert _check(snapshot, "batch worker").status == OK
    assert _check(snapshot, "batch flush").status == OK
    assert rabbitmqctl_queues()[QUEUE_STATS_BATCH] == {"ready": 0, "unacked": 30, "consumers": 1}


def test_a_request_after_a_quiet_spell_is_not_taken_for_a_stuck_timer(
    management, workers, product_factory
):
    interval = 3
    first, second = _products(product_factory, 2)
    (worker,) = workers(_batch_worker(interval=interval))

    def mine():
        return [
            b
            for b in take_snapshot(worker_timeout=0.5).batch_buffers
            if b.worker == worker.hostname
        ]

    queue_product_stats(product_id=first.pk)
    wait_for(lambda: mine()[0].last_flush_at is not None, timeout=interval + 10, message="a flush")
    # Quiet for more than twice the interval: the timer found the buffer empty and stopped.
    # A deliberate wait, not a condition: the quiet spell is the scenario, and the timer
    # stopping inside celery-batches shows nowhere to poll for.
    time.sleep(2 * interval + 1)
    queue_product_stats(product_id=second.pk)  # re-arms the timer: flushed within 3 s
    snapshot = take_snapshot(worker_timeout=0.5)

    (buffer,) = [b for b in snapshot.batch_buffers if b.worker == worker.hostname]
    assert buffer.buffered == 1, "flushed before the snapshot: the test proves nothing"
    assert buffer.seconds_since_flush > 2 * interval
    assert buffer.oldest_wait < interval
    check = _check(snapshot, "batch flush")
    assert check.status == OK, check


def test_without_a_batch_worker_the_batch_queue_has_no_consumer_and_is_critical(management):
    _wait_for_no_batch_consumer(management)
    snapshot = take_snapshot()

    assert snapshot.queues[QUEUE_STATS_BATCH].consumers == 0
    check = _check(snapshot, "batch worker")
    assert (check.status, check.message) == (CRITICAL, "no consumer on the batch queue")
    assert snapshot.exit_code == 2


def test_management_figures_match_rabbitmqctl_for_every_queue(management, workers, product_factory):
    products = _products(product_factory, 10)
    workers(_batch_worker(interval=600))
    for product in products:
        queue_product_stats(product_id=product.pk)  # 10 unacked in the batch worker
    for _ in range(3):
        bulk_chunk.apply_async(args=[MISSING_CHUNK])  # 3 ready: no bulk worker here

    compared = {}

    def agree() -> bool:
        before = _management_queues(management)
        compared["rabbitmqctl"] = rabbitmqctl_queues()
        after = _management_queues(management)
        compared["management"] = {name: _figures(after[name]) for name in MONITORED_QUEUES}
        return all(
            _figures(before[name])
            == _figures(after[name])
            == tuple(compared["rabbitmqctl"][name].values())
            for name in MONITORED_QUEUES
        )

    wait_for(agree, timeout=STATS_SETTLE, interval=0.5, message=f"agreement: {compared}")

    management_figures = compared["management"]
    assert management_figures[QUEUE_STATS_BATCH] == (0, 10, 1)
    assert management_figures[QUEUE_STATS_BULK] == (3, 0, 0)
    assert management_figures[QUEUE_DEFAULT][1:] == (0, 0)


def test_plain_amqp_knows_ready_and_consumers_and_marks_the_rest_unknown(workers, settings):
    settings.RABBITMQ_MANAGEMENT_URL = None
    for _ in range(3):
        bulk_chunk.apply_async(args=[MISSING_CHUNK])

    snapshot = take_snapshot()

    assert snapshot.broker_source == "amqp"
    for name in MONITORED_QUEUES:
        queue = snapshot.queues[name]
        assert (queue.source, queue.error) == ("amqp", "")
        assert isinstance(queue.ready, int) and isinstance(queue.consumers, int)
        unknown = (queue.unacked, queue.active_consumers, queue.publish_rate, queue.ack_rate)
        assert unknown == (None, None, None, None), queue
    assert (
        snapshot.queues[QUEUE_STATS_BULK].ready,
        snapshot.queues[QUEUE_STATS_BULK].consumers,
    ) == (
        3,
        0,
    )

    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("queue_status", "--live", stdout=out)
    assert exit_.value.code == 2  # no consumer on either stats queue
    (row,) = [line for line in out.getvalue().splitlines() if line.startswith(QUEUE_STATS_BULK)]
    # ready, unacked, consumers, active, publish/s, ack/s
    assert row.split()[1:7] == ["3", "?", "0", "?", "?", "?"]
    assert "(broker figures from: amqp)" in out.getvalue()


def test_an_active_and_a_standby_bulk_worker_keep_the_rate_limit(management, workers):
    workers(WorkerProcess(queues=[QUEUE_STATS_BULK]), WorkerProcess(queues=[QUEUE_STATS_BULK]))

    seen: list[Snapshot] = []

    def both_attached() -> bool:
        seen.append(take_snapshot(worker_timeout=0.2))
        return seen[-1].queues[QUEUE_STATS_BULK].consumers == 2

    wait_for(both_attached, timeout=STATS_SETTLE, interval=0.5, message="two bulk consumers")

    bulk = seen[-1].queues[QUEUE_STATS_BULK]
    assert (bulk.consumers, bulk.active_consumers, bulk.single_active_consumer) == (2, 1, True)
    assert _check(seen[-1], "bulk worker").status == OK
    standby = _check(seen[-1], "bulk standby")
    assert (standby.status, standby.message) == (OK, "1 standby")


@pytest.mark.parametrize(
    ("single_active_consumer", "active", "status"),
    [(False, 2, CRITICAL), (True, 1, OK)],
    ids=["without-sac", "with-sac"],
)
def test_two_consumers_on_a_queue_without_single_active_consumer_double_the_rate_limit(
    management, broker_url, single_active_consumer, active, status
):
    # RabbitMQ's own accounting, not Celery's: two plain consumers on separate
    # connections, on a queue declared like stats.bulk but for the argument.
    name = f"test.bulk.{'sac' if single_active_consumer else 'nosac'}"
    arguments = {"x-single-active-consumer": True} if single_active_consumer else None
    queue = Queue(name, durable=False, queue_arguments=arguments)
    connections = [Connection(broker_url) for _ in range(2)]
    try:
        for conn in connections:
            queue(conn.default_channel).declare()
            Consumer(conn.default_channel, queues=[queue], callbacks=[]).consume()

        figures: dict[str, QueueFigures] = {}

        def both_counted() -> bool:
            figures.update(_management_queues(management, names=[name]))
            return figures[name].consumers == 2

        wait_for(both_counted, timeout=STATS_SETTLE, interval=0.5, message="two consumers")
    finally:
        for conn in connections:
            conn.close()  # cancels the consumers before the queue goes
        with Connection(broker_url) as conn:
            queue(conn.default_channel).delete()

    assert figures[name].active_consumers == active
    assert figures[name].single_active_consumer is single_active_consumer
    as_bulk = dataclasses.replace(figures[name], name=QUEUE_STATS_BULK)
    snapshot = monitoring_snapshot(
        queues={QUEUE_STATS_BULK: as_bulk}, broker_source="management", batch_buffers=[]
    )
    check = _check(snapshot, "bulk worker")
    assert check.status == status, check
    if status == CRITICAL:
        assert "2 active consumers: the rate limit is doubled" in check.message


def test_queue_status_exits_2_without_a_batch_worker_and_prints_json(management, workers):
    _wait_for_no_batch_consumer(management)

    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("queue_status", "--live", stdout=out)
    assert exit_.value.code == 2
    assert "[CRITICAL] batch worker: no consumer on the batch queue" in out.getvalue()

    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("queue_status", "--live", "--json", stdout=out)
    assert exit_.value.code == 2
    data = json.loads(out.getvalue())
    assert {"queues", "checks", "status"} <= data.keys()
    assert data["status"] == CRITICAL
    assert data["queues"][QUEUE_STATS_BATCH]["consumers"] == 0
    assert {
        "name": "batch worker",
        "status": CRITICAL,
        "message": "no consumer on the batch queue",
    } in data["checks"]
