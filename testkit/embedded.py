"""The embedded default (SQLite and the embedded broker in one var directory) for tests
that run its processes: their environment, commands in it, and the broker's counts."""

import os
import subprocess
import sys
from pathlib import Path

from testkit.stack import ROOT


def embedded_env(var: Path, **extra: str) -> dict[str, str]:
    """What ``make run`` gives its processes with no services configured, in ``var``."""
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "CATALOG_VAR_DIR": str(var),
        "DATABASE_URL": "",
        "CELERY_BROKER_URL": "",
        "RABBITMQ_MANAGEMENT_URL": "",
        **extra,
    }


def run_python(env: dict[str, str], *args: str) -> str:
    """``python *args`` in ``env`` from the checkout; its output (stderr in the failure)."""
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def broker_counts(var: Path, *, lease: float = 30.0) -> dict[str, tuple[int, int, int]]:
    """(ready, unacked, consumers) per queue, read as monitoring reads them (a dead
    worker's messages handed back first)."""
    from config.embedded_broker import liveness, store

    conn = store.connect(var / "broker" / "broker.sqlite3")
    try:
        liveness.reclaim_dead(conn, lease=lease)
        return store.queue_counts(conn)
    finally:
        conn.close()
