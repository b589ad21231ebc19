"""Helpers for the import tests: write a file in the export's layout."""

import csv
from pathlib import Path

import pytest

from catalog.imports.layout import COLUMNS


def row(**values: object) -> dict[str, str]:
    """A valid row of a new product, with ``values`` replacing columns."""
    base = {
        "product_sku": "NEW-1",
        "name": "New shirt",
        "slug": "new-shirt",
        "status": "published",
        "category": "",
        "description": "Soft.",
        "version": "",
        "variant_sku": "NEW-1-M",
        "size": "M",
        "colour": "blue",
        "price": "19.90",
        "currency": "EUR",
        "stock": "5",
    }
    base.update({key: str(value) for key, value in values.items()})
    return base


def write_csv(path: Path, rows: list[dict[str, str]], *, columns=COLUMNS, encoding="utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def csv_file(tmp_path):
    """Write rows to ``catalog.csv`` and return its path."""

    def make(rows: list[dict[str, str]], name: str = "catalog.csv", **kwargs) -> Path:
        return write_csv(tmp_path / name, rows, **kwargs)

    return make


@pytest.fixture
def eager_tasks():
    """Run the import task in-process (settings are namespaced: CELERY_...)."""
    from config.celery import app

    assert not app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = False


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    """Uploads go to VAR_DIR/imports: a test's own, so none outlives it."""
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


#: A lost import worker is noticed after 5 s instead of a minute (this process and workers).
STALE_AFTER = 5


@pytest.fixture
def import_workers(broker_url, transactional_db, uploads_in_tmp, settings):
    """The import worker and a batch worker as real processes; queues purged before and after.

    ``import_workers[0].env`` starts another import worker like the first.
    """
    import signal

    from django.db import connection

    from config.queues import QUEUE_CATALOG_IMPORTS, QUEUE_STATS_BATCH
    from testkit.workers import WorkerProcess, purge_queue

    if connection.vendor != "mysql":
        pytest.skip("worker processes need MariaDB (make test), not SQLite")
    queues = (QUEUE_CATALOG_IMPORTS, QUEUE_STATS_BATCH)
    for queue in queues:
        purge_queue(queue)
    settings.CATALOG_IMPORT_STALE_AFTER = STALE_AFTER
    importer_env = {
        "CATALOG_VAR_DIR": str(uploads_in_tmp),
        "CATALOG_IMPORT_STALE_AFTER": str(STALE_AFTER),
    }
    started = [
        WorkerProcess(queues=[QUEUE_CATALOG_IMPORTS], env=importer_env),
        WorkerProcess(queues=[QUEUE_STATS_BATCH], env={"STATS_BATCH_FLUSH_INTERVAL": "1"}),
    ]
    for worker in started:
        worker.start()
    yield started
    for worker in started:
        worker.kill(signal.SIGKILL)
    for queue in queues:
        purge_queue(queue)


def product_rows(products: int, *, prefix: str = "NEW") -> list[dict[str, str]]:
    """Two variant rows for each of ``products`` new products: long enough to catch writing."""
    return [
        row(
            product_sku=f"{prefix}-{n}",
            slug=f"{prefix.lower()}-{n}",
            variant_sku=f"{prefix}-{n}-{size}",
            size=size,
        )
        for n in range(1, products + 1)
        for size in ("S", "M")
    ]
