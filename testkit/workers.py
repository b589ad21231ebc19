"""Real Celery worker processes for integration tests.

A worker is started as ``python -m celery -A config worker`` in a subprocess, pointed
at the test database (so the test must be ``transaction=True``) and the real broker,
with its own settings through the environment. Nothing here mocks Celery or RabbitMQ.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import MySQLdb
from django.conf import settings
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parents[1]
LOG_DIR = ROOT / "var" / "test-workers"


def database_url_for_subprocess() -> str:
    """The URL of the database this test process is using (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.mysql":
        raise RuntimeError("worker processes need a server database (MariaDB), not SQLite")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"mysql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"


def broker_vhost() -> str:
    """The RabbitMQ virtual host this process publishes to (``/`` for ``amqp://host//``)."""
    with app.connection_for_write() as conn:
        return conn.virtual_host


def declare_queue(name: str) -> None:
    """Declare one of the app's queues as its workers do: a fresh broker has none."""
    with app.connection_for_write() as conn:
        app.amqp.queues[name].bind(conn.default_channel).declare()


def purge_queue(name: str) -> None:
    """Declare the queue as the app does, then drop whatever an earlier test left in it."""
    with app.connection_for_write() as conn:
        queue = app.amqp.queues[name].bind(conn.default_channel)
        queue.declare()
        queue.purge()


def queue_counts(name: str) -> tuple[int, int]:
    """(ready messages, consumers) by a passive declare: plain AMQP sees no unacked count."""
    with app.connection_for_write() as conn:
        _, ready, consumers = conn.default_channel.queue_declare(name, passive=True)
        return ready, consumers


class WorkerProcess:
    def __init__(
        self,
        *,
        queues: list[str],
        concurrency: int = 1,
        env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
    ):
        self.queues = queues
        self.extra_args = extra_args or []
        self.concurrency = concurrency
        self.env = env or {}
        self.hostname = (
            f"test-{'-'.join(queues).replace('.', '_')}-{uuid.uuid4().hex[:6]}@localhost"
        )
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.logfile = LOG_DIR / f"{self.hostname.split('@')[0]}.log"
        self.process: subprocess.Popen | None = None

    def start(self, *, wait: bool = True) -> "WorkerProcess":
        env = {
            **os.environ,
            "DJANGO_ENV": "test",
            "DATABASE_URL": database_url_for_subprocess(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            **self.env,
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            ",".join(self.queues),
            "-c",
            str(self.concurrency),
            "-n",
            self.hostname,
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
            *self.extra_args,
        ]
        log = self.logfile.open("ab")
        # A session of its own, so a kill reaches the pool children too.
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log()}")
            if app.control.ping(destination=[self.hostname], timeout=0.5):
                return
        raise TimeoutError(f"worker {self.hostname} not ready after {timeout}s:\n{self.log()}")

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 60) -> int:
        """Send ``sig`` to the worker and its pool children; wait for the main process."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        target = os.getpgid(self.process.pid) if sig == signal.SIGKILL else None
        if target is not None:
            os.killpg(target, sig)
        else:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(os.getpgid(self.process.pid), signal.SIGKILL)
            return self.process.wait(10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""


def wait_for(predicate, *, timeout: float, interval: float = 0.2, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")


@contextlib.contextmanager
def publishing_to(url: str | None) -> Iterator[None]:
    """Publish from this process to ``url`` (None: the configured broker), with fresh
    connection pools.

    ``broker_write_url`` governs publishing only (``broker_url`` itself would lose to the
    ``CELERY_BROKER_URL`` environment variable, which Celery reads directly).
    """
    app.conf.broker_write_url = url
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_write_url = None
        app._pool = None
        app.amqp._producer_pool = None


def unreachable_broker() -> contextlib.AbstractContextManager[None]:
    """Point this process's publisher at a closed port: real connection refusals, no mock."""
    return publishing_to("amqp://guest:guest@127.0.0.1:1//")


def rabbitmqctl_queues() -> dict[str, dict[str, int]]:
    """``rabbitmqctl list_queues``: ready, unacked and consumers, as RabbitMQ itself counts.

    Of the tests' own vhost: without ``-p`` rabbitmqctl lists the default vhost ``/``,
    which may be another run's.
    """
    output = subprocess.run(
        [
            "rabbitmqctl",
            "list_queues",
            "-p",
            broker_vhost(),
            "-q",
            "--no-table-headers",
            "name",
            "messages_ready",
            "messages_unacknowledged",
            "consumers",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    queues = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[1].isdigit():
            queues[parts[0]] = dict(
                zip(("ready", "unacked", "consumers"), map(int, parts[1:]), strict=True)
            )
    return queues


@contextlib.contextmanager
def row_locked(table: str, product_id: int, *, column: str = "product_id"):
    """Hold a row lock from a connection of our own: whoever writes that row waits."""
    db = connection.settings_dict
    locker = MySQLdb.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 3306),
        user=db["USER"],
        password=db["PASSWORD"],
        database=db["NAME"],
    )
    try:
        cursor = locker.cursor()
        cursor.execute("START TRANSACTION")
        cursor.execute(f"SELECT * FROM {table} WHERE {column} = %s FOR UPDATE", [product_id])
        yield
    finally:
        locker.rollback()
        locker.close()
