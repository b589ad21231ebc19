"""The monitoring snapshot's judgement and parsing, from hand-made figures (no broker).

What a real RabbitMQ and real workers report is in test_monitoring_broker.py; here the
checks are held to their contract: a known problem is named, and a figure nobody could
measure is "unknown", never mistaken for 0 or for "ok".
"""

import json
import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from config.celery import app
from config.queues import QUEUE_DEFAULT, QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_STATS_NOW
from stats.management.commands.queue_status import render_snapshot
from stats.models import BulkRun, ProductStaleness
from stats.monitoring.checks import monitoring_checks
from stats.monitoring.metrics import snapshot_metrics
from stats.monitoring.probes import batch_buffers
from stats.monitoring.services import monitoring_snapshot
from stats.monitoring.snapshot import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    BatchBuffer,
    Check,
    QueueFigures,
    Snapshot,
)
from stats.monitoring.sources import _from_management, queues_from_passive_declare

WORKER = "batch-1@host"
HEALTHY = object()  # _snapshot(buffers=None) means "the workers did not answer"


@pytest.fixture(autouse=True)
def thresholds(settings):
    """Pinned, so an environment variable on the machine cannot change the verdicts."""
    settings.STATS_MONITOR_BATCH_QUEUE_MAX = 10_000
    settings.STATS_MONITOR_BULK_QUEUE_MAX = 5_000
    settings.STATS_MONITOR_STALE_WARNING = 600
    settings.STATS_MONITOR_STALE_CRITICAL = 3600
    settings.STATS_MONITOR_EXPECT_BULK_STANDBY = False
    return settings


def _queue(name: str, **figures) -> QueueFigures:
    """A healthy queue as the management API reports it; override what the test is about."""
    defaults = {
        "ready": 0,
        "unacked": 0,
        "consumers": 1,
        "active_consumers": 1,
        "single_active_consumer": name == QUEUE_STATS_BULK,
        "publish_rate": 0.0,
        "ack_rate": 0.0,
    }
    return QueueFigures(name, "management", **(defaults | figures))


def _buffer(**figures) -> BatchBuffer:
    defaults = {
        "worker": WORKER,
        "task": "stats.product_stats_batch",
        "buffered": 0,
        "last_flush_at": time.time() - 10,
        "started_at": time.time() - 3600,
        "flush_interval": 300,
        "flush_every": 100,
    }
    return BatchBuffer(**(defaults | figures))


def _snapshot(
    *,
    batch: QueueFigures | None = None,
    bulk: QueueFigures | None = None,
    buffers: list[BatchBuffer] | object | None = HEALTHY,
    oldest_stale_seconds: float | None = None,
    checks: list[Check] | None = None,
) -> Snapshot:
    snapshot = Snapshot(
        taken_at=timezone.now(),
        broker_source="management",
        queues={
            QUEUE_STATS_BATCH: batch or _queue(QUEUE_STATS_BATCH),
            QUEUE_STATS_BULK: bulk or _queue(QUEUE_STATS_BULK),
            QUEUE_DEFAULT: _queue(QUEUE_DEFAULT, consumers=0, active_consumers=0),
        },
        batch_buffers=[_buffer()] if buffers is HEALTHY else buffers,
        stale_products=0 if oldest_stale_seconds is None else 1,
        oldest_stale_seconds=oldest_stale_seconds,
    )
    snapshot.checks = monitoring_checks(snapshot) if checks is None else checks
    return snapshot


def _checks(snapshot: Snapshot, name: str) -> list[Check]:
    found = [check for check in snapshot.checks if check.name == name]
    assert found, f"no {name!r} check in {snapshot.checks}"
    return found


def _one(snapshot: Snapshot, name: str) -> Check:
    (check,) = _checks(snapshot, name)
    return check


# --- The bulk worker ------------------------------------------------------------------------


def test_a_healthy_snapshot_is_ok_with_exit_code_0():
    snapshot = _snapshot()
    assert {c.status for c in snapshot.checks} == {OK}, snapshot.checks
    assert (snapshot.status, snapshot.exit_code) == (OK, 0)


def test_no_bulk_consumer_is_critical():
    snapshot = _snapshot(bulk=_queue(QUEUE_STATS_BULK, consumers=0, active_consumers=0))
    check = _one(snapshot, "bulk worker")
    assert check.status == CRITICAL
    assert "no consumer" in check.message
    assert snapshot.exit_code == 2


def test_two_active_bulk_consumers_without_single_active_consumer_double_the_rate_limit():
    bulk = _queue(QUEUE_STATS_BULK, consumers=2, active_consumers=2, single_active_consumer=False)
    check = _one(_snapshot(bulk=bulk), "bulk worker")
    assert check.status == CRITICAL
    assert "rate limit is doubled" in check.message


def test_one_active_bulk_worker_and_one_standby_are_ok():
    bulk = _queue(QUEUE_STATS_BULK, consumers=2, active_consumers=1, single_active_consumer=True)
    snapshot = _snapshot(bulk=bulk)
    assert _one(snapshot, "bulk worker").status == OK
    standby = _one(snapshot, "bulk standby")
    assert (standby.status, standby.message) == (OK, "1 standby")


def test_a_missing_standby_warns_only_when_one_is_expected(settings):
    assert [c.name for c in _snapshot().checks].count("bulk standby") == 0
    settings.STATS_MONITOR_EXPECT_BULK_STANDBY = True
    snapshot = _snapshot()
    assert _one(snapshot, "bulk worker").status == OK
    assert _one(snapshot, "bulk standby").status == WARNING
    assert snapshot.exit_code == 1


def test_two_bulk_consumers_seen_over_plain_amqp_are_unknown_not_ok():
    # Plain AMQP counts consumers but cannot tell whether one or both receive messages.
    bulk = QueueFigures(QUEUE_STATS_BULK, "amqp", ready=0, consumers=2)
    checks = _checks(_snapshot(bulk=bulk), "bulk worker")
    assert [c.status for c in checks] == [UNKNOWN]
    assert "management API" in checks[0].message


# --- The batch worker and its buffer --------------------------------------------------------


def test_no_batch_consumer_is_critical():
    snapshot = _snapshot(batch=_queue(QUEUE_STATS_BATCH, consumers=0, active_consumers=0))
    check = _one(snapshot, "batch worker")
    assert (check.status, check.message) == (CRITICAL, "no consumer on the batch queue")
    assert snapshot.exit_code == 2


def test_a_batch_worker_that_does_not_consume_the_recompute_now_queue_is_a_warning():
    snapshot = _snapshot()
    snapshot.queues[QUEUE_STATS_NOW] = _queue(QUEUE_STATS_NOW, consumers=0, active_consumers=0)
    snapshot.checks = monitoring_checks(snapshot)

    check = _one(snapshot, "batch worker")

    assert check.status == WARNING
    assert check.message.startswith(f"no consumer on {QUEUE_STATS_NOW}: add it to")


@pytest.mark.parametrize(
    "reported",
    [
        {"buffered_since": time.time() - 700, "last_flush_at": time.time() - 700},
        # A worker that does not report buffered_since: the time since its last flush.
        {"buffered_since": None, "last_flush_at": time.time() - 700},
        # Never flushed since it started.
        {"buffered_since": None, "last_flush_at": None, "started_at": time.time() - 700},
    ],
    ids=["reported", "fallback-last-flush", "fallback-started"],
)
def test_requests_unflushed_for_more_than_twice_the_interval_are_a_stuck_timer(reported):
    snapshot = _snapshot(buffers=[_buffer(buffered=12, flush_interval=300, **reported)])
    check = _one(snapshot, "batch flush")
    assert check.status == CRITICAL
    assert "stuck" in check.message
    assert WORKER in check.message and "12 requests" in check.message


def test_a_request_that_rearms_the_timer_after_a_quiet_hour_is_not_stuck():
    # The last flush was an hour ago, but the one buffered request arrived 5 s ago and
    # celery-batches flushes it within one interval: nothing is wrong.
    buffer = _buffer(buffered=1, last_flush_at=time.time() - 3600, buffered_since=time.time() - 5)
    check = _one(_snapshot(buffers=[buffer]), "batch flush")
    assert (check.status, check.message) == (OK, "1 buffered in 1 worker")


def test_an_empty_buffer_is_never_stuck():
    buffer = _buffer(buffered=0, last_flush_at=time.time() - 86_400)
    assert _one(_snapshot(buffers=[buffer]), "batch flush").status == OK


def test_only_the_stuck_worker_is_named():
    buffers = [
        _buffer(worker="good@host", buffered=40, buffered_since=time.time() - 30),
        _buffer(worker="stuck@host", buffered=7, buffered_since=time.time() - 900),
    ]
    checks = _checks(_snapshot(buffers=buffers), "batch flush")
    assert [(c.status, "stuck@host" in c.message) for c in checks] == [(CRITICAL, True)]


def test_a_deep_queue_warns():
    snapshot = _snapshot(batch=_queue(QUEUE_STATS_BATCH, ready=10_001))
    check = _one(snapshot, f"{QUEUE_STATS_BATCH} depth")
    assert (check.status, check.message) == (WARNING, "10001 ready > 10000")


# --- Unknown is never ok --------------------------------------------------------------------


@pytest.mark.parametrize("source", ["management", "amqp", "missing"])
def test_unknown_figures_give_unknown_checks_never_ok(source):
    if source == "missing":  # the source returned nothing for the queues at all
        queues = {}
    else:  # the source answered with an error: every figure is None
        queues = {
            name: QueueFigures(name, source, error="unreachable: connection refused")
            for name in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_DEFAULT)
        }
    snapshot = Snapshot(
        taken_at=timezone.now(),
        broker_source=source,
        queues=queues,
        batch_buffers=None,  # the workers could not be asked
    )
    snapshot.checks = monitoring_checks(snapshot)

    from_the_database = {"stale statistics", "batch failures"}
    broker_and_workers = [c for c in snapshot.checks if c.name not in from_the_database]
    assert {c.name for c in broker_and_workers} == {
        "bulk worker",
        "batch worker",
        "batch flush",
        f"{QUEUE_STATS_BATCH} depth",
        f"{QUEUE_STATS_BULK} depth",
    }
    assert {c.status for c in broker_and_workers} == {UNKNOWN}, broker_and_workers
    assert (snapshot.status, snapshot.exit_code) == (UNKNOWN, 1)


def test_unknown_does_not_hide_a_critical():
    snapshot = _snapshot(
        batch=_queue(QUEUE_STATS_BATCH, consumers=0, active_consumers=0), buffers=None
    )
    assert _one(snapshot, "batch flush").status == UNKNOWN
    assert (snapshot.status, snapshot.exit_code) == (CRITICAL, 2)


# --- Exit codes and JSON --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "status", "exit_code"),
    [
        ([], OK, 0),
        ([OK, OK], OK, 0),
        ([OK, WARNING], WARNING, 1),
        ([OK, UNKNOWN], UNKNOWN, 1),
        ([WARNING, CRITICAL, UNKNOWN, OK], CRITICAL, 2),
    ],
)
def test_exit_code_follows_the_worst_check(statuses, status, exit_code):
    checks = [Check(f"check {n}", s, "") for n, s in enumerate(statuses)]
    snapshot = _snapshot(checks=checks)
    assert (snapshot.status, snapshot.exit_code) == (status, exit_code)


@pytest.mark.django_db
def test_as_dict_is_json_serialisable_with_a_bulk_run_and_buffers():
    BulkRun.objects.create(
        trigger=BulkRun.Trigger.OPS,
        scope=BulkRun.Scope.ALL,
        status=BulkRun.Status.RUNNING,
        chunk_size=100,
        rate_limit="30/h",
        chunks_total=10,
        chunks_done=4,
        products_total=1000,
        products_done=400,
    )
    snapshot = monitoring_snapshot(
        queues={QUEUE_STATS_BULK: _queue(QUEUE_STATS_BULK, publish_rate=0.25)},
        broker_source="management",
        batch_buffers=[_buffer(buffered=3, buffered_since=time.time() - 2)],
    )

    data = json.loads(json.dumps(snapshot.as_dict()))  # no default=str: plain JSON types

    assert data["status"] == snapshot.status
    assert data["taken_at"] == snapshot.taken_at.isoformat()
    assert data["queues"][QUEUE_STATS_BULK]["publish_rate"] == 0.25
    assert data["queues"][QUEUE_STATS_BULK]["unacked"] == 0
    (buffer,) = data["batch_buffers"]
    assert buffer["buffered"] == 3 and 10 <= buffer["seconds_since_flush"] < 60
    assert data["bulk_run"]["percent"] == 40
    # 6 chunks left at 30 an hour: the next at once (no chunk started yet), 5 more after it
    assert data["bulk_run"]["eta_seconds"] == 5 * 120
    assert {c["name"] for c in data["checks"]} >= {"bulk worker", "batch flush"}


def test_every_moment_in_the_json_is_iso_8601_and_reads_back_as_it_was():
    started = time.time() - 3600
    snapshot = _snapshot(buffers=[_buffer(buffered=2, started_at=started, buffered_since=None)])

    data = json.loads(json.dumps(snapshot.as_dict()))

    (buffer,) = data["batch_buffers"]
    assert datetime.fromisoformat(buffer["started_at"]).timestamp() == pytest.approx(started)
    assert datetime.fromisoformat(buffer["last_flush_at"]).tzinfo is not None
    assert buffer["buffered_since"] is None
    (back,) = Snapshot.from_dict(data).batch_buffers
    assert back.started_at == pytest.approx(started)


def test_as_dict_keeps_unknown_as_null():
    snapshot = _snapshot(
        batch=QueueFigures(QUEUE_STATS_BATCH, "amqp", ready=4, consumers=1), buffers=None
    )
    data = json.loads(json.dumps(snapshot.as_dict()))
    assert data["batch_buffers"] is None
    batch = data["queues"][QUEUE_STATS_BATCH]
    assert (batch["ready"], batch["unacked"], batch["ack_rate"]) == (4, None, None)


# --- Stale statistics (from the database) ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("age", "status"),
    [(None, OK), (300, OK), (900, WARNING), (4000, CRITICAL)],
)
def test_stale_products_older_than_the_thresholds_warn_then_go_critical(
    product_factory, age, status
):
    products = product_factory.create_batch(3)
    ProductStaleness.objects.all().delete()  # creating products marked them stale
    if age is not None:
        now = timezone.now()
        for offset, product in enumerate(products):  # the oldest decides, not the count
            ProductStaleness.objects.create(
                product=product, stale_since=now - timedelta(seconds=age - 100 * offset)
            )

    snapshot = monitoring_snapshot(
        queues={
            QUEUE_STATS_BATCH: _queue(QUEUE_STATS_BATCH),
            QUEUE_STATS_BULK: _queue(QUEUE_STATS_BULK),
        },
        broker_source="management",
        batch_buffers=[],
    )

    check = _one(snapshot, "stale statistics")
    assert check.status == status, check
    if age is None:
        assert (snapshot.stale_products, snapshot.oldest_stale_seconds) == (0, None)
    else:
        assert snapshot.stale_products == 3
        assert age <= snapshot.oldest_stale_seconds < age + 30
        assert "3 stale products," in check.message


# --- Sources --------------------------------------------------------------------------------


def _management_payload(**overrides) -> dict:
    """GET /api/queues/%2F/stats.bulk on RabbitMQ 3.10, trimmed of what we do not read."""
    payload = {
        "name": "stats.bulk",
        "vhost": "/",
        "durable": True,
        "auto_delete": False,
        "exclusive": False,
        "type": "classic",
        "state": "running",
        "arguments": {"x-single-active-consumer": True},
        "consumers": 2,
        "consumer_utilisation": 0.0,
        "consumer_details": [
            {
                "active": True,
                "activity_status": "single_active",
                "ack_required": True,
                "arguments": {},
                "channel_details": {
                    "connection_name": "127.0.0.1:55296 -> 127.0.0.1:5672",
                    "name": "127.0.0.1:55296 -> 127.0.0.1:5672 (1)",
                    "node": "rabbit@localhost",
                    "number": 1,
                    "peer_host": "127.0.0.1",
                    "peer_port": 55296,
                    "user": "guest",
                },
                "consumer_tag": "None4",
                "exclusive": False,
                "prefetch_count": 1,
                "queue": {"name": "stats.bulk", "vhost": "/"},
            },
            {
                "active": False,
                "activity_status": "waiting",
                "ack_required": True,
                "arguments": {},
                "channel_details": {
                    "connection_name": "127.0.0.1:55310 -> 127.0.0.1:5672",
                    "name": "127.0.0.1:55310 -> 127.0.0.1:5672 (1)",
                    "node": "rabbit@localhost",
                    "number": 1,
                    "peer_host": "127.0.0.1",
                    "peer_port": 55310,
                    "user": "guest",
                },
                "consumer_tag": "None4",
                "exclusive": False,
                "prefetch_count": 1,
                "queue": {"name": "stats.bulk", "vhost": "/"},
            },
        ],
        "single_active_consumer_tag": "None4",
        "head_message_timestamp": None,
        "idle_since": "2026-11-23T10:21:02.712+00:00",
        "memory": 15728,
        "message_bytes": 5120,
        "message_stats": {
            "ack": 1520,
            "ack_details": {"rate": 0.0083},
            "deliver": 1521,
            "deliver_details": {"rate": 0.0083},
            "deliver_get": 1521,
            "deliver_get_details": {"rate": 0.0083},
            "publish": 1830,
            "publish_details": {"rate": 1.2},
            "redeliver": 1,
            "redeliver_details": {"rate": 0.0},
        },
        "messages": 298,
        "messages_details": {"rate": 1.2},
        "messages_ready": 297,
        "messages_ready_details": {"rate": 1.2},
        "messages_unacknowledged": 1,
        "messages_unacknowledged_details": {"rate": 0.0},
        "node": "rabbit@localhost",
        "policy": None,
    }
    return payload | overrides


def test_management_payload_with_an_active_and_a_waiting_consumer():
    figures = _from_management(QUEUE_STATS_BULK, _management_payload())
    assert figures == QueueFigures(
        name=QUEUE_STATS_BULK,
        source="management",
        ready=297,
        unacked=1,
        consumers=2,
        active_consumers=1,
        single_active_consumer=True,
        publish_rate=1.2,
        ack_rate=0.0083,
        oldest_message_age=None,
        error="",
    )
    checks = _snapshot(bulk=figures).checks
    assert [(c.name, c.status) for c in checks if c.name.startswith("bulk")] == [
        ("bulk worker", OK),
        ("bulk standby", OK),
    ]


def test_management_payload_of_a_queue_without_single_active_consumer():
    payload = _management_payload(arguments={}, single_active_consumer_tag=None)
    for consumer in payload["consumer_details"]:
        consumer["active"], consumer["activity_status"] = True, "up"

    figures = _from_management(QUEUE_STATS_BULK, payload)

    assert (figures.consumers, figures.active_consumers) == (2, 2)
    assert figures.single_active_consumer is False
    check = _one(_snapshot(bulk=figures), "bulk worker")
    assert check.status == CRITICAL and "rate limit" in check.message


def test_management_payload_of_a_fresh_queue_is_all_unknown():
    # Until RabbitMQ emits the first statistics (every 5 s), a new queue has no counters,
    # and one nobody published to has no message_stats.
    payload = {
        "name": "stats.bulk",
        "vhost": "/",
        "arguments": {"x-single-active-consumer": True},
        "durable": True,
        "state": "running",
    }
    figures = _from_management(QUEUE_STATS_BULK, payload)
    assert figures.single_active_consumer is True
    unknown = ("ready", "unacked", "consumers", "active_consumers", "publish_rate", "ack_rate")
    assert {name: getattr(figures, name) for name in unknown} == dict.fromkeys(unknown)
    assert _one(_snapshot(bulk=figures), "bulk worker").status == UNKNOWN


def test_passive_declare_without_consumer_counts_and_with_a_failing_queue():
    def declare(name: str) -> tuple[int, int]:
        if name == QUEUE_DEFAULT:
            raise ConnectionRefusedError("connection refused")
        return {QUEUE_STATS_BATCH: (5, 1), QUEUE_STATS_BULK: (9, 2)}[name]

    amqp = queues_from_passive_declare(declare, source="amqp", counts_consumers=True)
    assert (amqp[QUEUE_STATS_BULK].ready, amqp[QUEUE_STATS_BULK].consumers) == (9, 2)
    assert amqp[QUEUE_STATS_BULK].unacked is None
    assert amqp[QUEUE_STATS_BULK].active_consumers is None
    assert amqp[QUEUE_DEFAULT].ready is None
    assert amqp[QUEUE_DEFAULT].error == "ConnectionRefusedError: connection refused"

    files = queues_from_passive_declare(declare, source="filesystem", counts_consumers=False)
    assert (files[QUEUE_STATS_BATCH].ready, files[QUEUE_STATS_BATCH].consumers) == (5, None)


def test_a_worker_without_the_batch_buffer_command_is_not_a_buffer(monkeypatch):
    # What kombu's pidbox answers for an unknown command (a worker from before the
    # command existed, during a rolling deploy): an error, not a crash of the snapshot.
    replies = [
        {"old@host": {"error": "KeyError('batch_buffer')"}},
        {
            "new@host": {
                "stats.product_stats_batch": {
                    "buffered": 2,
                    "buffered_since": 1_700_000_000.0,
                    "last_flush_at": None,
                    "started_at": 1_699_999_000.0,
                    "flush_interval": 300,
                    "flush_every": 100,
                }
            }
        },
    ]
    monkeypatch.setattr(app.control, "broadcast", lambda *args, **kwargs: replies)
    (buffer,) = batch_buffers()
    assert (buffer.worker, buffer.buffered, buffer.buffered_since) == (
        "new@host",
        2,
        1_700_000_000.0,
    )


# --- The command's table --------------------------------------------------------------------


def _row(table: str, queue: str) -> list[str]:
    (line,) = [line for line in table.splitlines() if line.startswith(f"{queue} ")]
    return line.split()


def test_render_shows_a_question_mark_for_what_is_unknown_and_0_for_zero():
    snapshot = _snapshot(
        batch=QueueFigures(QUEUE_STATS_BATCH, "amqp", ready=5, consumers=1),
        bulk=_queue(QUEUE_STATS_BULK, ready=0, unacked=0, consumers=0, active_consumers=0),
        buffers=None,
    )
    table = render_snapshot(snapshot)

    # ready, unacked, consumers, active, publish/s, ack/s
    assert _row(table, QUEUE_STATS_BATCH)[1:7] == ["5", "?", "1", "?", "?", "?"]
    assert _row(table, QUEUE_STATS_BULK)[1:7] == ["0", "0", "0", "0", "0.0", "0.0"]
    assert "Batch buffers: unknown (workers did not answer)" in table
    assert "[CRITICAL] bulk worker: no consumer on the bulk queue" in table


def test_render_shows_an_unreachable_queue_as_question_marks_with_the_error():
    broken = QueueFigures(QUEUE_STATS_BULK, "management", error="unreachable: timed out")
    table = render_snapshot(_snapshot(bulk=broken))
    row = _row(table, QUEUE_STATS_BULK)
    assert row[1:7] == ["?"] * 6
    assert " ".join(row[7:]) == "unreachable: timed out"


def test_an_empty_buffer_has_no_oldest_wait_and_exports_none():
    """After a quiet spell nothing waits: an alert on the oldest wait must not fire."""
    quiet = _buffer(buffered=0, last_flush_at=time.time() - 3600, buffered_since=None)
    assert quiet.oldest_wait is None
    text = snapshot_metrics(_snapshot(buffers=[quiet])).decode()
    assert "catalog_batch_oldest_wait_seconds{" not in text
    assert f'catalog_batch_buffered_requests{{worker="{WORKER}"}} 0.0' in text


@pytest.mark.django_db
def test_failed_products_and_dropped_requests_of_the_last_hour_warn():
    from stats.models import BatchFlush

    now = timezone.now()
    flush = {"worker": WORKER, "requests": 100, "products": 90, "computed": 88}
    BatchFlush.objects.create(flushed_at=now - timedelta(minutes=5), failed=2, rejected=1, **flush)
    BatchFlush.objects.create(flushed_at=now - timedelta(hours=2), failed=7, rejected=3, **flush)

    snapshot = monitoring_snapshot(queues={}, broker_source="management", batch_buffers=[])

    assert (snapshot.batch_failed_products, snapshot.batch_rejected_requests) == (2, 1)
    check = _one(snapshot, "batch failures")
    assert check.status == "warning"
    assert "2 product recomputes failed, 1 malformed request dropped" in check.message
    text = snapshot_metrics(snapshot).decode()
    assert "catalog_batch_failed_products_last_hour 2.0" in text


def test_a_quiet_hour_has_no_batch_failure():
    assert _one(_snapshot(), "batch failures").status == "ok"
