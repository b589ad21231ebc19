"""A running import's signs of life: its heartbeat, its progress bar, its cancel check.

The run's own transaction stays open until it ends and nothing it writes is visible
before then, so what the rest of the system must see while it runs (the progress bar,
that its worker is alive, that an editor asked to cancel) goes through a connection of
its own, in autocommit, from a thread that beats once a second. A worker killed with
the run (SIGKILL, out of memory, a hard time limit) stops beating: the sweep and Cancel
then know the run is gone (``last_sign_of_life``).

SQLite allows one writer at a time and an import's transaction holds it whole: there
the beat touches the upload's file instead (its modification time is the other sign
of life), and Cancel asks through a file beside the upload (``cancel_marker``) instead
of the database, which it could only write once the import let go of it.
"""

import logging
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from catalog.models import CatalogImport

logger = logging.getLogger(__name__)

#: Seconds between two beats (and two writes of the progress bar).
BEAT_SECONDS = 1.0


class ImportCancelled(Exception):
    """Raised between two chunks of a run that was cancelled: its transaction rolls back."""


def upload_path(job: CatalogImport) -> Path:
    return Path(settings.VAR_DIR) / job.stored_path


def cancel_marker(job: CatalogImport) -> Path:
    """The file whose presence asks the run to stop, where the database cannot (SQLite)."""
    path = upload_path(job)
    return path.with_name(f"{path.name}.cancel")


def cancel_requested(job: CatalogImport) -> bool:
    return job.cancel_requested_at is not None or (
        bool(job.stored_path) and cancel_marker(job).exists()
    )


def last_sign_of_life(job: CatalogImport) -> datetime | None:
    """When the worker running the job's current step was last heard from; None: no run.

    The later of the beat written to the database and the upload's modification time
    (touched instead where the database is held by the run itself, on SQLite).
    """
    if job.heartbeat_at is None:
        return None
    seen = job.heartbeat_at
    if job.stored_path:
        try:
            touched = upload_path(job).stat().st_mtime
        except OSError:
            return seen
        seen = max(seen, datetime.fromtimestamp(touched, tz=UTC))
    return seen


def run_is_alive(job: CatalogImport, *, now: datetime | None = None) -> bool:
    """A worker runs the job's current step and was heard from within the stale delay."""
    seen = last_sign_of_life(job)
    if seen is None:
        return False
    now = now or timezone.now()
    return now - seen < timedelta(seconds=settings.CATALOG_IMPORT_STALE_AFTER)


class RunMonitor:
    """The run's ``on_progress`` callback, and the thread that beats beside it.

    The import calls it with (stage, done, total) after each chunk; the call records the
    figures for the next beat and raises ``ImportCancelled`` once a beat found the job
    cancelled (a Cancel request, or the job ended by someone else). Use it as a context
    manager: the thread beats from entry to exit.
    """

    def __init__(self, job: CatalogImport, *, expected: str) -> None:
        self.import_id = job.pk
        self.expected = expected
        self.path = upload_path(job) if job.stored_path else None
        self.marker = cancel_marker(job) if job.stored_path else None
        self.cancelled = threading.Event()
        self._figures: tuple[str, int, int] = (job.stage, job.done, job.total)
        self._done = threading.Event()
        # Set when the stage changes, so the bar says "writing" at once, not up to a beat later.
        self._wake = threading.Event()
        # The run's own connection, read (never used) by the beat: is the run inside its
        # transaction, holding SQLite's one write lock?
        self._main = connections[DEFAULT_DB_ALIAS]
        self._thread = threading.Thread(
            target=self._beat_until_done, name=f"import-{job.pk}-heartbeat", daemon=True
        )

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._figures[0]:
            self._wake.set()
        self._figures = (stage, done, total)
        if done >= total and not self.cancelled.is_set():
            # The stage's last step (for an import, the last before its commit): ask now
            # rather than trust a beat up to a second old, so a Cancel that arrived while
            # the last chunk was written still rolls the import back.
            self._check_now()
        if self.cancelled.is_set():
            raise ImportCancelled

    def __enter__(self) -> "RunMonitor":
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        self._wake.set()
        self._thread.join()

    def _beat_until_done(self) -> None:
        connection: BaseDatabaseWrapper | None = None
        try:
            while not self._done.is_set():
                if self.marker is not None and self.marker.exists():
                    self.cancelled.set()
                if self._main.vendor == "sqlite" and self._main.in_atomic_block:
                    self._touch_file()
                else:
                    connection = connection or _own_connection()
                    self._beat(connection)
                self._wake.wait(BEAT_SECONDS)
                self._wake.clear()
        finally:
            if connection is not None:
                connection.close()

    def _check_now(self) -> None:
        if self.marker is not None and self.marker.exists():
            self.cancelled.set()
        elif not (self._main.vendor == "sqlite" and self._main.in_atomic_block):
            connection = _own_connection()
            try:
                with connection.cursor() as cursor:
                    if self._ended_or_cancelled(cursor, connection):
                        self.cancelled.set()
            except DatabaseError as exc:  # the beats asked too: never fail the run for it
                logger.warning("Import %s: cancel check not read (%s)", self.import_id, exc)
            finally:
                connection.close()

    def _ended_or_cancelled(self, cursor: Any, connection: BaseDatabaseWrapper) -> bool | None:
        """Whether the job left the expected state or was asked to stop; None: not visible
        to this connection (a test's open transaction)."""
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT {quote('status')}, {quote('cancel_requested_at')} "
            f"FROM {quote(CatalogImport._meta.db_table)} WHERE {quote('id')} = %s",
            [self.import_id],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        status, cancel_requested_at = row
        return status != self.expected or cancel_requested_at is not None

    def _touch_file(self) -> None:
        if self.path is not None:
            try:
                os.utime(self.path)
            except OSError as exc:
                logger.warning("Import %s: heartbeat not written (%s)", self.import_id, exc)

    def _beat(self, connection: BaseDatabaseWrapper) -> None:
        quote = connection.ops.quote_name
        table = quote(CatalogImport._meta.db_table)
        try:
            with connection.cursor() as cursor:
                ended = self._ended_or_cancelled(cursor, connection)
                if ended is None:
                    return
                if ended:
                    self.cancelled.set()
                    return
                stage, done, total = self._figures
                cursor.execute(
                    f"UPDATE {table} SET {quote('heartbeat_at')} = %s, {quote('stage')} = %s, "
                    f"{quote('done')} = %s, {quote('total')} = %s WHERE {quote('id')} = %s",
                    [
                        connection.ops.adapt_datetimefield_value(timezone.now()),
                        stage,
                        done,
                        total,
                        self.import_id,
                    ],
                )
        except DatabaseError as exc:  # a missed beat is one of many: never fail the run for it
            logger.warning("Import %s: heartbeat not written (%s)", self.import_id, exc)


def _own_connection() -> BaseDatabaseWrapper:
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            # Never wait long for the row (locked only by a confirm or cancel, for a moment).
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 2")
    return connection
