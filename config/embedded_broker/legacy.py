"""Messages left by the embedded broker of older checkouts (kombu's filesystem transport).

Its queue folder held one ``<ms>_<uuid>.<queue>.msg`` file per message, each holding the
same JSON envelope kombu's virtual transports use. When the SQLite file is created (once,
inside its first write transaction) the task messages found there are moved into it, in
their old order, so saves queued before an upgrade are still recomputed; worker
remote-control traffic (``*.pidbox`` queues) is stale and dropped. A file that is not
valid JSON (half-written: kombu's issue 1551) cannot be delivered by any transport and is
left where it is, named in the one log line this writes.
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


def move_into(conn: sqlite3.Connection, broker_dir: Path) -> tuple[int, list[Path]]:
    """Insert the old folder's task messages through ``conn`` (inside the caller's
    transaction); (messages moved, unreadable files). Deletes nothing: ``clean_up`` does,
    after the caller commits."""
    data = broker_dir / "data"
    if not data.is_dir():
        return 0, []
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
        conn.execute("INSERT OR IGNORE INTO queue (name) VALUES (?)", (queue,))
        conn.execute(
            "INSERT INTO message (queue, payload) VALUES (?, ?)", (queue, json.dumps(payload))
        )
        moved += 1
    return moved, unreadable


def clean_up(broker_dir: Path, moved: int, unreadable: list[Path]) -> None:
    """Remove the old folders (keeping unreadable files) and say what happened, once."""
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
    if moved or unreadable:
        kept = ""
        if unreadable:
            kept = f"; {len(unreadable)} unreadable file(s) left in {broker_dir / 'data'}"
        logger.warning(
            "Embedded broker: moved %d message(s) from the old filesystem broker in %s%s",
            moved,
            broker_dir,
            kept,
        )
