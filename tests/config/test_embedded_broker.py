"""The embedded broker's transport (config/embedded_broker), with real processes killed.

Each test gets a broker file of its own; consumers and publishers that must die run in
processes of their own (``testkit.broker_steps``) and are SIGKILLed with their group.
"""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from kombu import Connection, Consumer

from config.embedded_broker import liveness, store
from testkit.broker_steps import QUEUE, run_step

URL = "sqlite://localhost//"
#: A publisher that has begun writing a message (half of its JSON) and not committed.
HALF_WRITTEN = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO message (queue, payload) VALUES ('bench', '{\\"body')")
print("written", flush=True)
time.sleep(600)
"""


@pytest.fixture
def options(tmp_path) -> dict:
    return {"database": str(tmp_path / "broker.sqlite3"), "heartbeat_interval": 0.5}


def _consume(options: dict, count: int, *, timeout: float = 10.0, ack: bool = True) -> list:
    """Up to ``count`` messages from the test queue, in this process."""
    got: list = []
    with Connection(URL, transport_options=options) as conn:
        channel = conn.channel()
        channel.basic_qos(0, 1000, False)

        def on_message(body, message):
            got.append((body, message.delivery_info.get("redelivered")))
            if ack:
                message.ack()

        with Consumer(channel, [QUEUE], callbacks=[on_message], accept=["json"]):
            deadline = time.monotonic() + timeout
            while len(got) < count and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    conn.drain_events(timeout=0.5)
    return got


def _held_then_killed(options: dict) -> None:
    holder = run_step(URL, options, "hold", 1, 30, background=True)
    assert json.loads(holder.stdout.readline()) == {"held": 1}
    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()


def test_a_message_fetched_by_a_consumer_killed_before_its_ack_is_delivered_again(options):
    run_step(URL, options, "publish", 1)
    _held_then_killed(options)

    got = _consume(options, 1)

    assert [(body["i"], redelivered) for body, redelivered in got] == [(0, True)]
    assert _consume(options, 1, timeout=1.5) == []  # acked: gone for good


@pytest.mark.slow
def test_a_living_consumer_keeps_what_it_holds_however_long(options):
    run_step(URL, options, "publish", 1)
    holder = run_step(URL, options, "hold", 1, 30, background=True)
    try:
        assert json.loads(holder.stdout.readline()) == {"held": 1}
        time.sleep(2)  # four heartbeats: it is alive, so nobody else may have its message
        assert _consume(options, 1, timeout=1.5) == []
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()


@pytest.mark.slow
def test_a_consumer_unheard_for_longer_than_its_lease_loses_what_it_held(options, tmp_path):
    run_step(URL, options, "publish", 1)
    holder = run_step(URL, options, "hold", 1, 30, background=True)
    try:
        assert json.loads(holder.stdout.readline()) == {"held": 1}
        os.killpg(holder.pid, signal.SIGSTOP)  # alive, but silent (on another host, say)
        conn = store.connect(options["database"])
        time.sleep(1.5)
        assert liveness.reclaim_dead(conn, lease=60, machine="another machine") == 0
        assert liveness.reclaim_dead(conn, lease=1, machine="another machine") == 1
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    assert len(_consume(options, 1)) == 1


def test_a_message_still_being_written_is_never_read(options):
    """A publisher killed inside its write transaction leaves nothing behind."""
    run_step(URL, options, "publish", 1)  # creates the file and the queue
    _consume(options, 1)
    writer = subprocess.Popen(
        [sys.executable, "-c", HALF_WRITTEN, options["database"]],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert writer.stdout.readline().strip() == "written"
        reader = sqlite3.connect(options["database"], timeout=1)
        assert store.size(reader, "bench") == 0  # the half-written row is not visible
    finally:
        os.killpg(writer.pid, signal.SIGKILL)
        writer.wait()
    assert _consume(options, 1, timeout=1.5) == []


@pytest.mark.slow
def test_publishers_killed_mid_write_leave_only_whole_messages(options):
    for pause in (0.3, 0.7, 1.1):
        writer = run_step(URL, options, "big", background=True)
        time.sleep(pause)
        os.killpg(writer.pid, signal.SIGKILL)
        writer.wait()

    drained = run_step(URL, options, "drain", 10**6, 30)

    assert drained["count"] >= 1 and drained["whole"], drained


def test_a_broadcast_reaches_queues_bound_by_other_processes(options):
    """Worker remote control: a fanout exchange's bindings are shared through the file."""
    run_step(URL, options, "bind")
    assert run_step(URL, options, "broadcast")["delivered"] == 1


def test_a_requeued_message_comes_back_first_and_a_warm_close_copies_nothing(options):
    run_step(URL, options, "publish", 3)
    with Connection(URL, transport_options=options) as conn:
        channel = conn.channel()
        first = channel.basic_get("bench")
        first.reject(requeue=True)
        again = channel.basic_get("bench")
        assert json.loads(again.body)["i"] == 0 and again.delivery_info["redelivered"]
        channel.basic_get("bench")  # held when the connection closes
    got = sorted(body["i"] for body, _ in _consume(options, 3))
    assert got == [0, 1, 2]


def test_expired_broadcasts_are_dropped_and_counts_are_told_per_queue(options):
    conn = store.connect(options["database"])
    store.declare_queue(conn, "w.celery.pidbox")
    store.put(conn, "w.celery.pidbox", {"headers": {"expires": time.time() - 1}})
    store.declare_queue(conn, "bench")
    for _ in range(3):
        store.put(conn, "bench", {"headers": {}})
    store.claim(conn, "bench", "someone")

    liveness.reclaim_dead(conn, lease=30)

    assert store.queue_counts(conn) == {"w.celery.pidbox": (0, 0, 0), "bench": (2, 1, 0)}


def test_what_an_older_checkouts_filesystem_broker_left_is_moved_in_once(tmp_path, caplog):
    broker = tmp_path / "broker"
    data = broker / "data"
    data.mkdir(parents=True)
    (broker / "control").mkdir()
    (broker / "control" / "celery.pidbox.exchange").write_text("[]")
    envelope = {"body": "e30=", "headers": {}, "properties": {"delivery_tag": "x"}}
    for n, queue in enumerate(["stats.batch", "stats.bulk", "w@h.celery.pidbox"]):
        (data / f"{1000 + n}_{n}.{queue}.msg").write_text(json.dumps(envelope))
    (data / "1004_torn.stats.batch.msg").write_text('{"bo')
    options = {"database": str(broker / "broker.sqlite3"), "legacy_dir": str(broker)}
    store.connect(options["database"]).close()  # created first by monitoring, say

    with Connection(URL, transport_options=options) as conn:
        channel = conn.channel()
        assert channel._size("stats.batch") == 1 and channel._size("stats.bulk") == 1

    assert [p.name for p in broker.iterdir() if p.is_dir()] == ["data"]
    assert [p.name for p in data.iterdir()] == ["1004_torn.stats.batch.msg"]
    assert "moved 2 message(s)" in caplog.text and "1 unreadable file(s)" in caplog.text
    with Connection(URL, transport_options=options) as conn:  # once: not moved again
        assert conn.channel()._size("stats.batch") == 1


def test_a_dead_consumer_is_neither_counted_nor_left_holding(options):
    run_step(URL, options, "publish", 2)
    _held_then_killed(options)
    conn = store.connect(options["database"])
    time.sleep(0.1)
    assert liveness.reclaim_dead(conn, lease=30) == 1
    assert store.queue_counts(conn)["bench"] == (2, 0, 0)
    assert conn.execute("SELECT count(*) FROM consumer").fetchone()[0] == 0


def test_a_fetch_reads_the_queues_head_through_an_index_whatever_the_backlog(options):
    """kombu's filesystem transport listed and sorted the whole folder on every fetch (90 ms
    at 58,000 files): here the head of a queue is one lookup in a partial index."""
    conn = store.connect(options["database"])
    plan = conn.execute(f"EXPLAIN QUERY PLAN {store.HEAD_QUERY}", ("bench", time.time()))
    assert [row[-1] for row in plan] == ["SEARCH message USING INDEX message_ready (queue=?)"]


def test_a_message_returned_more_often_than_the_delivery_limit_is_dropped(options, caplog):
    options = {**options, "delivery_limit": 2}
    run_step(URL, options, "publish", 2)
    with Connection(URL, transport_options=options) as conn:
        channel = conn.channel()
        for _ in range(2):  # fetched and returned twice, as by two workers killed with it
            channel.basic_get("bench").reject(requeue=True)
        survivor = channel.basic_get("bench")  # the poisoned one is dropped on the way
        assert json.loads(survivor.body)["i"] == 1
        survivor.ack()
        assert channel.basic_get("bench") is None
    assert "delivered 3 times without an ack and is dropped" in caplog.text
