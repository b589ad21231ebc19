"""Messages left by the embedded broker of older checkouts (kombu's filesystem transport).

Its queue folder held one ``<ms>_<uuid>.<queue>.msg`` file per message, each holding the
same JSON envelope kombu's virtual transports use. The first connection that finds the
folder moves the task messages into the SQLite file, in their old order, so saves queued
before an upgrade are still recomputed; worker remote-control traffic (``*.pidbox``
queues) is stale and dropped. Once: the move and a mark saying so commit together, under
the file's write lock, so two processes starting at once never move a message twice, and
files a crash left behind after that commit are only removed. A file that is not valid
JSON (half-written: kombu's issue 1551) cannot be delivered by any transport and is left
where it is, named in the one log line this writes.
"""

import json
import logging
import shutil
import sqlite3
from pathlib import Path

logger = logging.getLogger(__name__)

#: The folders the filesystem transport was given (config/settings/broker.py before #22).
FOLDERS = ("data", "control", "processed")


def _queue_of(name: str) -> str | None:
    stem = name.removesuffix(".msg")
    if stem == name or "." not in stem:
        return None
    return stem.split(".", 1)[1]


def move_once(conn: sqlite3.Connection, broker_dir: Path) -> None:
    """Move what the old folder holds into the file, unless that was done already."""
    if not (broker_dir / "data").is_dir():
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = conn.execute(
            "SELECT 1 FROM legacy_moved WHERE folder = ?", (str(broker_dir),)
        ).fetchone()
        moved, unreadable = _read_into(conn, broker_dir, insert=not done)
        conn.execute("INSERT OR IGNORE INTO legacy_moved (folder) VALUES (?)", (str(broker_dir),))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    clean_up(broker_dir, unreadable)
    if not done and (moved or unreadable):
        kept = ""
        if unreadable:
            kept = f"; {len(unreadable)} unreadable file(s) left in {broker_dir / 'data'}"
        logger.warning(
            "Embedded broker: moved %d message(s) from the old filesystem broker in %s%s",
            moved,
            broker_dir,
            kept,
        )


def _read_into(conn: sqlite3.Connection, broker_dir: Path, *, insert: bool) -> tuple[int, list]:
    """(task messages found, unreadable files), inserted through ``conn`` if ``insert``."""
    data = broker_dir / "data"
    moved, unreadable = 0, []
    for path in sorted(data.iterdir()):
        queue = _queue_of(path.name)
        if queue is None or queue.endswith(".pidbox"):
            continue
        try:
            payload = json.loads(path.read_bytes())
        except (OSError, ValueError):
            unreadable.append(path)
            continue
        if insert:
            conn.execute("INSERT OR IGNORE INTO queue (name) VALUES (?)", (queue,))
            conn.execute(
                "INSERT INTO message (queue, payload) VALUES (?, ?)", (queue, json.dumps(payload))
            )
        moved += 1
    return moved, unreadable


def clean_up(broker_dir: Path, unreadable: list[Path]) -> None:
    """Remove the old folders, keeping only the unreadable files."""
    for folder in FOLDERS:
        path = broker_dir / folder
        if not path.is_dir():
            continue
        if folder == "data" and unreadable:
            for entry in path.iterdir():
                if entry not in unreadable:
                    entry.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
