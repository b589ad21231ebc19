"""The broker goes down while an import commits: the import ends, and every statistic is
right once the broker is back. Real RabbitMQ, MariaDB and workers.

The workers reach RabbitMQ through a proxy the test cuts (``testkit.netproxy``): for them
the broker is down, while the shared RabbitMQ node keeps serving everyone else. The
import is held on a row lock just before it writes (a product it updates, locked from a
connection of the test's), the proxy is cut, the lock let go: the import writes and
commits with no broker, its statistics requests fail to go out (logged once), and the
import ends Imported all the same, its page saying the sweep recomputes them. Once the
broker is back, the stale sweep (what beat sends) puts every figure right: each one is
compared with the from-scratch reference (``testkit.reference``).
"""

import csv
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from catalog.imports.exports import catalog_export_file
from catalog.imports.jobs import catalog_import_confirm, catalog_import_upload
from catalog.models import CatalogImport, Product
from config.queues import QUEUE_CATALOG_IMPORTS, QUEUE_STATS_BATCH
from stats.batch.tasks import stale_sweep
from stats.models import ProductStaleness
from stats.recompute.categories import category_stats_refresh_stale
from stats.recompute.products import product_stats_recompute
from testkit.checks import statistics_errors
from testkit.netproxy import CuttableProxy
from testkit.workers import (
    WorkerProcess,
    purge_queue,
    rabbitmqctl_queues,
    row_locked,
    wait_for,
)
from tests.catalog.imports.conftest import STALE_AFTER, product_rows, write_csv
from tests.factories import shop_in_currencies

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

Status = CatalogImport.Status
NEW = 1_000  # new products, in the existing categories, beside every existing one changed


@pytest.fixture
def broker_proxy(broker_url):
    broker = urlsplit(settings.CELERY_BROKER_URL)
    proxy = CuttableProxy(target_host=broker.hostname or "127.0.0.1", target_port=broker.port)
    yield proxy
    proxy.close()


@pytest.fixture
def workers_behind(broker_proxy, uploads_in_tmp, settings):
    """The import worker and a batch worker, both reaching the broker through the proxy."""
    if connection.vendor != "mysql":
        pytest.skip("worker processes need MariaDB (make test), not SQLite")
    queues = (QUEUE_CATALOG_IMPORTS, QUEUE_STATS_BATCH)
    for queue in queues:
        purge_queue(queue)
    port = urlsplit(settings.CELERY_BROKER_URL).port
    proxied = settings.CELERY_BROKER_URL.replace(f":{port}/", f":{broker_proxy.port}/")
    settings.CATALOG_IMPORT_STALE_AFTER = STALE_AFTER
    started = [
        WorkerProcess(
            queues=[QUEUE_CATALOG_IMPORTS],
            env={
                "CELERY_BROKER_URL": proxied,
                "CATALOG_VAR_DIR": str(uploads_in_tmp),
                "CATALOG_IMPORT_STALE_AFTER": str(STALE_AFTER),
            },
        ).start(),
        WorkerProcess(
            queues=[QUEUE_STATS_BATCH],
            env={
                "CELERY_BROKER_URL": proxied,
                "STATS_BATCH_FLUSH_INTERVAL": "1",
                "STATS_STALE_MARGIN": "0",
            },
        ).start(),
    ]
    yield started
    for worker in started:
        worker.kill()
    for queue in queues:
        purge_queue(queue)


def _file(tmp_path, existing: list[Product]):
    """The catalog's export with every variant changed, and NEW products added to it."""
    exported = tmp_path / "export.csv"
    with exported.open("wb") as out:
        catalog_export_file(out=out, fmt="csv")
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * len(existing)
    for number, values in enumerate(rows):
        values["stock"] = str(number % 7)  # some out of stock, some not
        values["price"] = f"{10 + number}.25"
    categories = sorted({values["category"] for values in rows})
    for number, values in enumerate(product_rows(NEW)):
        values["category"] = categories[number // 2 % len(categories)]
        rows.append(values)
    return write_csv(tmp_path / "spring.csv", rows)


def _refreshed(job: CatalogImport) -> CatalogImport:
    job.refresh_from_db()
    return job


def _waits_on_products() -> int:
    """Lock waits on this database's products (the server is shared with other runs)."""
    table = f"`{connection.settings_dict['NAME']}`.`{Product._meta.db_table}`"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS w "
            "JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id "
            "WHERE l.lock_table = %s",
            [table],
        )
        return cursor.fetchone()[0]


def test_the_broker_down_while_an_import_commits_ends_the_import_and_the_sweep_fixes_every_figure(
    workers_behind, broker_proxy, product_factory, variant_factory, tmp_path
):
    importer, _ = workers_behind
    existing = shop_in_currencies(product_factory, variant_factory, 30)
    product_stats_recompute(product_ids=[p.pk for p in existing])
    category_stats_refresh_stale()
    purge_queue(QUEUE_STATS_BATCH)
    assert statistics_errors() == [] and not ProductStaleness.objects.exists()
    path = _file(tmp_path, existing)
    job = catalog_import_upload(upload=SimpleUploadedFile(path.name, path.read_bytes()), user=None)
    wait_for(lambda: _refreshed(job).status != Status.CHECKING, timeout=120, message="dry run")
    assert job.status == Status.PREVIEWED, job.report

    with row_locked("catalog_product", existing[-1].pk, column="id"):
        catalog_import_confirm(import_id=job.pk)  # sent: the broker is up for this process
        # The import compares the file with the catalog under row locks: it waits on ours.
        wait_for(lambda: _waits_on_products() > 0, timeout=60, message="the import at the lock")
        broker_proxy.cut()
    # The lock is let go: the import writes and commits while its broker is gone.
    wait_for(lambda: _refreshed(job).status != Status.IMPORTING, timeout=120, message="the end")

    assert job.status == Status.DONE, (job.report, job.error)
    total = len(existing) + NEW
    assert (job.report["new"], job.report["changed"]) == (NEW, len(existing))
    assert job.unsent == (
        f"{total:,} statistics requests could not be sent: the periodic sweep recomputes the "
        "products from their stale marks."
    )
    assert importer.log().count("Could not queue") == 1, importer.log()
    assert ProductStaleness.objects.count() == total  # every product waits for the sweep

    broker_proxy.restore()
    stale_sweep.delay()  # what beat sends every STATS_STALE_SWEEP_INTERVAL
    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=120, message="the sweep")
    category_stats_refresh_stale()  # what beat sends every STATS_CATEGORY_REFRESH_INTERVAL
    assert statistics_errors() == []
    # The import's message, returned when its worker's connection was cut, comes back
    # once the worker has reconnected, and finds the import ended: it does nothing.
    settled = {"ready": 0, "unacked": 0, "consumers": 1}
    wait_for(
        lambda: rabbitmqctl_queues().get(QUEUE_CATALOG_IMPORTS) == settled,
        timeout=120,
        interval=1,
        message="the import worker back, its returned message done",
    )
    assert (_refreshed(job).status, job.attempts) == (Status.DONE, 1)
    assert Product.objects.count() == total
    imported = Product.history.filter(history_change_reason="Import of spring.csv")
    assert imported.filter(history_type="+").count() == NEW  # imported once
