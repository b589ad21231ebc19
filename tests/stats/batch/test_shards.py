"""The batch worker's lease step when the database is out of reach: renewing, and stopping
(bounded by the connect timeout and ``STOP_WAIT``, tested on a port that never answers)."""

import copy
import logging
import socket
import threading
import time
from types import SimpleNamespace

import pytest
from celery.bootsteps import CLOSE  # type: ignore[attr-defined]
from django.db import OperationalError, connection, connections

from stats.batch import leases, shards
from stats.batch.shards import BatchShardLeases
from stats.models import BatchWorkerLease

pytestmark = pytest.mark.django_db(transaction=True)  # the step closes its connection


def _unreachable(**kwargs):
    raise OperationalError(2003, "Can't connect to MySQL server on 'db' (110)")


def test_a_worker_cut_off_from_the_database_keeps_its_shards_and_logs_once(
    monkeypatch, settings, caplog
):
    settings.STATS_BATCH_SHARDS = 4
    step = BatchShardLeases(None)
    step.wanted = [0, 2]
    monkeypatch.setattr(leases, "batch_lease_renew", _unreachable)

    with caplog.at_level(logging.WARNING, logger="stats.batch.shards"):
        step.renew("batch1@host")
        step.renew("batch1@host")

    assert step.wanted == [0, 2]
    assert [r.getMessage() for r in caplog.records] == [
        "Batch shard lease not renewed (database unreachable?): keeping the shards."
    ]

    monkeypatch.undo()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stats.batch.shards"):
        step.renew("batch1@host")

    assert step.wanted == [0, 1, 2, 3]  # alone now: every shard
    assert BatchWorkerLease.objects.get().worker == "batch1@host"
    assert [r.getMessage() for r in caplog.records] == ["Batch shard lease renewed again."]


# --- A worker stopping with the database cut off ----------------------------------------------


@pytest.fixture
def database_cut_off(monkeypatch):
    """New connections (the lease thread's) go to a port that accepts and never answers, as
    a host cut off behind a firewall that still completes the handshake would; the test's
    own connection is left as it is. Yields the settings those connections are made with."""
    if connection.vendor != "mysql":
        pytest.skip("the connect timeout is MariaDB's (make test)")
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    cut = copy.deepcopy(connections.settings)
    cut["default"].update(HOST="127.0.0.1", PORT=str(listener.getsockname()[1]))
    monkeypatch.setitem(connections.__dict__, "settings", cut)
    yield cut["default"]
    listener.close()
    for sock in held:
        sock.close()


def _lease_thread(step: BatchShardLeases, settings) -> threading.Thread:
    settings.STATS_BATCH_SHARDS = 4
    settings.STATS_BATCH_SHARD_HEARTBEAT = 1
    step.thread = threading.Thread(target=step.run, args=("batch1@host",), daemon=True)
    step.thread.start()
    time.sleep(0.3)  # the first renewal is inside its connect
    return step.thread


def _stopping(step: BatchShardLeases) -> float:
    """Stop the step as a worker shutting down does; the seconds it took."""
    started = time.monotonic()
    step.stop(SimpleNamespace(hostname="batch1@host", blueprint=SimpleNamespace(state=CLOSE)))
    return time.monotonic() - started


def _release_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if " release" in r.getMessage()]


@pytest.mark.mariadb
def test_a_stop_with_the_database_cut_off_gives_up_within_its_bound(
    database_cut_off, monkeypatch, settings, caplog
):
    """The connect timeout applies; a stop waits STOP_WAIT at most, and says so once."""
    assert database_cut_off["OPTIONS"]["connect_timeout"] == settings.DATABASE_CONNECT_TIMEOUT
    monkeypatch.setattr(shards, "STOP_WAIT", 1.0)  # shorter than one connect
    step = BatchShardLeases(None)
    thread = _lease_thread(step, settings)

    with caplog.at_level(logging.WARNING, logger="stats.batch.shards"):
        took = _stopping(step)
        assert took < 1.0 + 1
        # The thread finishes its renewal's connect and its release's, each bounded.
        thread.join(timeout=2 * settings.DATABASE_CONNECT_TIMEOUT + 3)

    assert not thread.is_alive()
    assert _release_lines(caplog) == [
        "Batch shard lease not released within 1 s (database unreachable?); "
        "it expires by itself within 3 s."
    ]


@pytest.mark.mariadb
def test_a_stop_with_the_database_cut_off_returns_once_the_release_timed_out(
    database_cut_off, settings, caplog
):
    database_cut_off["OPTIONS"]["connect_timeout"] = 1
    step = BatchShardLeases(None)
    _lease_thread(step, settings)

    with caplog.at_level(logging.WARNING, logger="stats.batch.shards"):
        took = _stopping(step)

    assert took < shards.STOP_WAIT  # a renewal's connect and the release's: 1 s each
    assert _release_lines(caplog) == [
        "Could not release the batch shard lease; it expires instead."
    ]
