"""Monitoring on the embedded broker reads its file: ready, unacked (the batch worker's
buffer) and consumers per queue, a dead worker neither counted nor left holding."""

import os
import socket
import subprocess
import sys
import time

import pytest

from config.embedded_broker import liveness, store
from config.queues import QUEUE_CATALOG_IMPORTS, QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from stats.monitoring.checks import monitoring_checks
from stats.monitoring.services import monitoring_snapshot
from stats.monitoring.sources import queues_from_embedded_broker

pytestmark = pytest.mark.django_db


def _register(conn, consumer: str, pid: int, queues: list[str]) -> None:
    started = liveness.process_start(pid) or "?"
    conn.execute(
        "INSERT INTO consumer (id, host, boot, pid, started, seen) VALUES (?, ?, ?, ?, ?, ?)",
        (consumer, socket.gethostname(), liveness._machine(), pid, started, time.time()),
    )
    for queue in queues:
        conn.execute(
            "INSERT INTO consumer_queue (consumer, queue) VALUES (?, ?)", (consumer, queue)
        )


def test_ready_unacked_and_consumers_come_from_the_file_and_the_dead_are_dropped(tmp_path):
    database = tmp_path / "broker.sqlite3"
    conn = store.connect(database)
    for queue in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK):
        store.declare_queue(conn, queue)
    for _ in range(5):
        store.put(conn, QUEUE_STATS_BATCH, {"headers": {}})
    store.put(conn, QUEUE_STATS_BULK, {"headers": {}})
    _register(conn, "alive", os.getpid(), [QUEUE_STATS_BATCH])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _register(conn, "gone", gone.pid, [QUEUE_STATS_BULK])
    for owner in ("alive", "alive", "gone"):
        store.claim(conn, QUEUE_STATS_BATCH if owner == "alive" else QUEUE_STATS_BULK, owner)

    figures = queues_from_embedded_broker(str(database), lease=30)

    batch, bulk = figures[QUEUE_STATS_BATCH], figures[QUEUE_STATS_BULK]
    assert (batch.ready, batch.unacked, batch.consumers, batch.active_consumers) == (3, 2, 1, 1)
    assert (bulk.ready, bulk.unacked, bulk.consumers) == (1, 0, 0)  # handed back, not counted
    assert figures[QUEUE_CATALOG_IMPORTS].error == "not declared yet"
    snapshot = monitoring_snapshot(
        queues=figures, broker_source="embedded", batch_buffers=[], broker_lag=0.0
    )
    checks = {check.name: check.status for check in monitoring_checks(snapshot)}
    assert checks["bulk worker"] == "critical" and checks["batch worker"] != "critical"
