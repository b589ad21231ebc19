"""The embedded broker's SQLite file: its tables and every statement run on it.

One row per message. A ready message has no ``owner``; fetching it writes the consumer's
identity into ``owner`` (the row stays), acking deletes the row, and a consumer noticed
dead (``config.embedded_broker.liveness``) has its rows' owner cleared, so they are
fetched again. Every change is one SQLite transaction: a message is visible whole or not
at all, whoever is killed mid-write.

Plain functions on a ``sqlite3.Connection`` opened by ``connect`` (autocommit; each
statement its own transaction), so the transport, monitoring and the tests share them.
"""

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from config.embedded_broker import legacy

#: Seconds a statement waits for another process's write before failing: writes are
#: short, so only a stalled disk gets near it.
BUSY_TIMEOUT = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    owner TEXT,
    deliveries INTEGER NOT NULL DEFAULT 0,
    expires REAL
);
CREATE INDEX IF NOT EXISTS message_ready ON message (queue, id) WHERE owner IS NULL;
CREATE INDEX IF NOT EXISTS message_owned ON message (owner) WHERE owner IS NOT NULL;
CREATE TABLE IF NOT EXISTS queue (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS binding (
    exchange TEXT NOT NULL,
    type TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    pattern TEXT NOT NULL,
    queue TEXT NOT NULL,
    PRIMARY KEY (exchange, routing_key, queue)
);
CREATE TABLE IF NOT EXISTS consumer (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    boot TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started TEXT NOT NULL,
    seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS consumer_queue (
    consumer TEXT NOT NULL,
    queue TEXT NOT NULL,
    PRIMARY KEY (consumer, queue)
);
CREATE TABLE IF NOT EXISTS legacy_moved (folder TEXT PRIMARY KEY);
"""


def connect(path: str | Path, *, legacy_dir: Path | None = None) -> sqlite3.Connection:
    """A connection in autocommit mode, WAL journal, tables created if missing.

    WAL lets readers (polls, monitoring) run beside the one writer; ``synchronous=NORMAL``
    can lose the last commits on a power cut, never on a killed process.
    ``check_same_thread`` is off because Celery acks from its pool's result thread; the
    transport serialises use of one connection with a lock. Given ``legacy_dir``, what an
    older checkout's filesystem broker left there is moved in, once
    (``config.embedded_broker.legacy``).
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA journal_size_limit=67108864")  # the WAL cut back to 64 MB
    if not _has_tables(conn):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in filter(str.strip, SCHEMA.split(";")):
                conn.execute(statement)  # IF NOT EXISTS: another process may have won
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    if legacy_dir is not None:
        legacy.move_once(conn, legacy_dir)
    return conn


def _has_tables(conn: sqlite3.Connection) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE name = 'legacy_moved'"
    return conn.execute(query).fetchone() is not None


def put(conn: sqlite3.Connection, queue: str, payload: dict[str, Any]) -> None:
    """Append a message; one carrying an ``expires`` header (a broadcast to workers,
    which is pointless after its reply timeout) is dropped once that time has passed."""
    expires = (payload.get("headers") or {}).get("expires") or None
    conn.execute(
        "INSERT INTO message (queue, payload, expires) VALUES (?, ?, ?)",
        (queue, json.dumps(payload), expires),
    )


def put_many(conn: sqlite3.Connection, rows: Iterable[tuple[str, str]]) -> int:
    """Append already-serialised ``(queue, payload)`` rows in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        count = conn.executemany(
            "INSERT INTO message (queue, payload) VALUES (?, ?)", list(rows)
        ).rowcount
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return count


#: The oldest ready message of a queue: one lookup in the ``message_ready`` partial index,
#: whatever the backlog (kombu's filesystem transport listed and sorted its whole folder).
HEAD_QUERY = (
    "SELECT id FROM message WHERE queue = ? AND owner IS NULL"
    " AND (expires IS NULL OR expires > ?) ORDER BY id LIMIT 1"
)


def _head(conn: sqlite3.Connection, queue: str) -> int | None:
    row = conn.execute(HEAD_QUERY, (queue, time.time())).fetchone()
    return row[0] if row else None


def claim(conn: sqlite3.Connection, queue: str, owner: str) -> tuple[int, int, str] | None:
    """The oldest ready message of ``queue``, now held by ``owner``: (id, deliveries
    counting this one, payload), or None. A plain read first, so an empty queue never
    takes the write lock; a message another consumer claimed in between is skipped."""
    while (head := _head(conn, queue)) is not None:
        row = conn.execute(
            "UPDATE message SET owner = ?, deliveries = deliveries + 1"
            " WHERE id = ? AND owner IS NULL RETURNING deliveries, payload",
            (owner, head),
        ).fetchone()
        if row is not None:
            return head, row[0], row[1]
    return None


def take(conn: sqlite3.Connection, queue: str) -> str | None:
    """The oldest ready message of ``queue``, deleted as it is read (a no-ack consumer)."""
    while (head := _head(conn, queue)) is not None:
        row = conn.execute(
            "DELETE FROM message WHERE id = ? AND owner IS NULL RETURNING payload", (head,)
        ).fetchone()
        if row is not None:
            return row[0]
    return None


def ack(conn: sqlite3.Connection, message_id: int) -> None:
    conn.execute("DELETE FROM message WHERE id = ?", (message_id,))


def release(conn: sqlite3.Connection, message_id: int, owner: str) -> None:
    """Back to ready at its old place (the head of the queue), as AMQP's requeue."""
    conn.execute("UPDATE message SET owner = NULL WHERE id = ? AND owner = ?", (message_id, owner))


def purge(conn: sqlite3.Connection, queue: str) -> int:
    return conn.execute("DELETE FROM message WHERE queue = ? AND owner IS NULL", (queue,)).rowcount


def size(conn: sqlite3.Connection, queue: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM message WHERE queue = ? AND owner IS NULL", (queue,)
    ).fetchone()[0]


def declare_queue(conn: sqlite3.Connection, queue: str) -> None:
    conn.execute("INSERT OR IGNORE INTO queue (name) VALUES (?)", (queue,))


def has_queue(conn: sqlite3.Connection, queue: str) -> bool:
    return conn.execute("SELECT 1 FROM queue WHERE name = ?", (queue,)).fetchone() is not None


def delete_queue(conn: sqlite3.Connection, queue: str) -> None:
    """The queue, its bindings and its messages (a reply queue once its caller is done)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM message WHERE queue = ?", (queue,))
        conn.execute("DELETE FROM binding WHERE queue = ?", (queue,))
        conn.execute("DELETE FROM queue WHERE name = ?", (queue,))
    finally:
        conn.execute("COMMIT")


def bind(
    conn: sqlite3.Connection, exchange: str, type_: str, routing_key: str, pattern: str, queue: str
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO binding (exchange, type, routing_key, pattern, queue)"
        " VALUES (?, ?, ?, ?, ?)",
        (exchange, type_, routing_key, pattern, queue),
    )


def bindings(conn: sqlite3.Connection, exchange: str) -> list[tuple[str, str, str]]:
    """(routing key, pattern, queue) of every queue bound to ``exchange``, by any process."""
    return conn.execute(
        "SELECT routing_key, pattern, queue FROM binding WHERE exchange = ?", (exchange,)
    ).fetchall()


def exchange_type(conn: sqlite3.Connection, exchange: str) -> str | None:
    query = "SELECT type FROM binding WHERE exchange = ? LIMIT 1"
    row = conn.execute(query, (exchange,)).fetchone()
    return row[0] if row else None


def queue_counts(conn: sqlite3.Connection) -> dict[str, tuple[int, int, int]]:
    """Per declared queue: (ready, unacked, consumers attached), live from the file."""
    counts = {name: [0, 0, 0] for (name,) in conn.execute("SELECT name FROM queue")}
    for queue, ready in conn.execute(
        "SELECT queue, count(*) FROM message WHERE owner IS NULL GROUP BY queue"
    ):
        counts.setdefault(queue, [0, 0, 0])[0] = ready
    for queue, unacked in conn.execute(
        "SELECT queue, count(*) FROM message WHERE owner IS NOT NULL GROUP BY queue"
    ):
        counts.setdefault(queue, [0, 0, 0])[1] = unacked
    for queue, consumers in conn.execute(
        "SELECT queue, count(*) FROM consumer_queue GROUP BY queue"
    ):
        counts.setdefault(queue, [0, 0, 0])[2] = consumers
    return {
        name: (ready, unacked, consumers) for name, [ready, unacked, consumers] in counts.items()
    }
