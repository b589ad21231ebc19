"""The import and the export of issue #27, run from ``bench/scale.py --parts import,export``.

Each has its own benchmark, which owns its database (the import empties its catalog; the
export seeds its sizes): ``bench/import.py`` (1,000,000 rows at 10,000 rows/s, memory
flat) and ``bench/export.py`` (CSV and XLSX written by the worker, memory flat). This runs
them as ``make bench-import-scale`` would, in databases (and, for the import, a vhost) of
their own beside the scale catalog, each printing its figures against its goal and its
same-run baseline. About 15 minutes for the import of 1,000,000 rows, 45 for the export
of 999,999 products (its XLSX of 3,000,000 rows measures the worker's writer; the admin
refuses an XLSX of more rows than a sheet holds).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
IMPORT_DB = "catalog_bench_import"
IMPORT_VHOST = "bench"
EXPORT_DB = "catalog_bench_export"


def _database(name: str) -> str:
    """The URL of database ``name`` on this server, created when missing."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    settings = connection.settings_dict
    port = settings["PORT"] or 3306
    return f"mysql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{port}/{name}"


def _vhost(name: str) -> None:
    if shutil.which("rabbitmqctl") is None:
        sys.exit(f"the import needs the RabbitMQ vhost {name!r} (rabbitmqctl not found)")
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], capture_output=True, check=False)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
        check=True,
    )


def _run(script: str, args: list[str], env: dict[str, str]) -> int:
    print(f"\n$ {script} {' '.join(args)}", flush=True)
    return subprocess.run(
        [sys.executable, str(ROOT / script), *args], env={**os.environ, **env}, check=False
    ).returncode


def import_run(rows: int) -> int:
    """``bench/import.py --rows ROWS``; its exit status (0: every statistic right)."""
    _vhost(IMPORT_VHOST)
    return _run(
        "bench/import.py",
        ["--rows", str(rows)],
        {
            "DATABASE_URL": _database(IMPORT_DB),
            "RABBITMQ_VHOST": IMPORT_VHOST,
            "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{IMPORT_VHOST}",
        },
    )


def export_run(sizes: str) -> int:
    """``bench/export.py --sizes SIZES``; its exit status."""
    return _run("bench/export.py", ["--sizes", sizes], {"DATABASE_URL": _database(EXPORT_DB)})
