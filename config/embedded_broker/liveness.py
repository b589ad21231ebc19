"""Who holds the embedded broker's unacked messages, and noticing when they have died.

RabbitMQ returns a consumer's unacked messages when its connection closes; a file has no
connection to watch. So each consuming process registers itself in the ``consumer``
table (host, boot and pid namespace, pid, the pid's start time) and a thread of its own
refreshes its ``seen`` time every ``interval`` seconds. That same thread, in every
consuming process, looks for consumers that are gone and hands their messages back:

- on this machine (same boot and pid namespace), a pid that no longer exists, is a
  zombie, or started at another time than registered (a reused pid) is gone at once;
- anywhere, a ``seen`` older than ``lease`` seconds is gone (a process stopped or on a
  host whose pids cannot be checked).

A SIGKILLed worker's messages are therefore ready again within about ``interval``
seconds, while a living worker keeps what it holds however long (celery-batches buffers
requests for minutes; a rate-limited chunk waits for its token).
"""

import atexit
import contextlib
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from config.embedded_broker import store

logger = logging.getLogger(__name__)


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _machine() -> str:
    """This boot and pid namespace: where a pid names the same process as here."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{boot}/{namespace}" if boot else ""


def process_start(pid: int) -> str | None:
    """The pid's start time (clock ticks since boot), None if it is gone or a zombie."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


class Consumer:
    """This process's identity on one broker file, and the thread that keeps it alive."""

    def __init__(self, path: str, *, lease: float, interval: float):
        self.path, self.lease, self.interval = path, lease, interval
        self.pid = os.getpid()
        self.machine = _machine()
        self.started = (process_start(self.pid) if self.machine else None) or "?"
        self.id = f"{socket.gethostname()}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the heartbeat thread and the consuming thread
        self._conn = store.connect(path)
        self._conn.execute(
            "INSERT INTO consumer (id, host, boot, pid, started, seen) VALUES (?, ?, ?, ?, ?, ?)",
            (self.id, socket.gethostname(), self.machine, self.pid, self.started, time.time()),
        )
        reclaim_dead(self._conn, lease=lease, machine=self.machine)
        self._thread = threading.Thread(target=self._run, name="embedded-broker-lease", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self._lock:
                    self._conn.execute(
                        "UPDATE consumer SET seen = ? WHERE id = ?", (time.time(), self.id)
                    )
                    reclaim_dead(self._conn, lease=self.lease, machine=self.machine)
            except sqlite3.Error as exc:  # a locked or missing file: try again next beat
                logger.warning("Embedded broker heartbeat failed: %s", exc)

    def consumes(self, queue: str, *, attached: bool) -> None:
        """Record (or forget) that this process consumes ``queue``, for the counts."""
        with self._lock:
            if attached:
                self._conn.execute(
                    "INSERT OR IGNORE INTO consumer_queue (consumer, queue) VALUES (?, ?)",
                    (self.id, queue),
                )
            else:
                self._conn.execute(
                    "DELETE FROM consumer_queue WHERE consumer = ? AND queue = ?",
                    (self.id, queue),
                )

    def close(self) -> None:
        """A clean exit: hand back anything still held, and leave the table."""
        self._stop.set()
        with self._lock, contextlib.suppress(sqlite3.Error):
            forget(self._conn, [self.id])


def forget(conn: sqlite3.Connection, consumers: list[str]) -> int:
    """Make the consumers' messages ready again and remove them; how many came back."""
    if not consumers:
        return 0
    marks = ",".join("?" * len(consumers))
    conn.execute("BEGIN IMMEDIATE")
    try:
        back = conn.execute(
            f"UPDATE message SET owner = NULL WHERE owner IN ({marks})", consumers
        ).rowcount
        conn.execute(f"DELETE FROM consumer_queue WHERE consumer IN ({marks})", consumers)
        conn.execute(f"DELETE FROM consumer WHERE id IN ({marks})", consumers)
    finally:
        conn.execute("COMMIT")
    return back


def dead_consumers(conn: sqlite3.Connection, *, lease: float, machine: str) -> list[str]:
    dead = []
    now = time.time()
    for consumer, boot, pid, started, seen in conn.execute(
        "SELECT id, boot, pid, started, seen FROM consumer"
    ).fetchall():
        if seen < now - lease or (machine and boot == machine and process_start(pid) != started):
            dead.append(consumer)
    return dead


def reclaim_dead(conn: sqlite3.Connection, *, lease: float, machine: str | None = None) -> int:
    """Hand back the messages of every consumer gone, and drop expired broadcasts."""
    dead = dead_consumers(conn, lease=lease, machine=_machine() if machine is None else machine)
    back = forget(conn, dead)
    if back:
        logger.warning(
            "Embedded broker: %d unacked message(s) of a stopped consumer are ready again", back
        )
    conn.execute(
        "DELETE FROM message WHERE owner IS NULL AND expires IS NOT NULL AND expires < ?",
        (time.time(),),
    )
    return back


_consumers: dict[tuple[int, str], Consumer] = {}
_lock = threading.Lock()


def consumer_for(path: str, *, lease: float, interval: float) -> Consumer:
    """This process's consumer on ``path``, registered on first use (a fork gets its own)."""
    key = (os.getpid(), path)
    with _lock:
        if key not in _consumers:
            _consumers[key] = Consumer(path, lease=lease, interval=interval)
        return _consumers[key]


@atexit.register
def _leave() -> None:
    for (pid, _), consumer in list(_consumers.items()):
        if pid == os.getpid():
            consumer.close()
