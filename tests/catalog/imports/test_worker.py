"""An admin import end to end: the import worker runs the dry run and the import, the
batch worker absorbs it, and every imported product's statistics come out right."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.imports.jobs import catalog_import_confirm, catalog_import_upload
from catalog.models import CatalogImport, Product
from stats import figures
from stats.models import ProductStaleness, ProductStats
from testkit.reference import product_stats_from_scratch
from testkit.workers import wait_for
from tests.catalog.imports.conftest import row, write_csv

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _status(job: CatalogImport) -> str:
    job.refresh_from_db()
    return job.status


def _stats_right(product_ids: list[int]) -> bool:
    if ProductStaleness.objects.filter(product_id__in=product_ids).exists():
        return False
    stats = ProductStats.objects.in_bulk(product_ids, field_name="product_id")
    for product_id in product_ids:
        expected, version = product_stats_from_scratch(product_id=product_id)
        got = stats.get(product_id)
        if got is None or got.computed_version != version:
            return False
        if {key: getattr(got, key) for key in figures.PRODUCT_FIGURES} != expected:
            return False
    return True


def test_an_upload_is_previewed_imported_and_its_statistics_computed(import_workers, tmp_path):
    rows = [
        row(
            product_sku=f"NEW-{n}",
            slug=f"new-{n}",
            variant_sku=f"NEW-{n}-{size}",
            size=size,
            price=f"{n}.50",
        )
        for n in range(1, 21)
        for size in ("S", "M", "L")
    ]
    path = write_csv(tmp_path / "spring.csv", rows)

    job = catalog_import_upload(upload=SimpleUploadedFile(path.name, path.read_bytes()), user=None)
    stored = Path(settings.VAR_DIR) / job.stored_path
    wait_for(
        lambda: _status(job) != CatalogImport.Status.CHECKING, timeout=60, message="the dry run"
    )
    assert job.status == CatalogImport.Status.PREVIEWED, job.report
    assert (job.report["new"], Product.objects.count(), stored.is_file()) == (20, 0, True)

    catalog_import_confirm(import_id=job.pk)
    wait_for(
        lambda: _status(job) != CatalogImport.Status.IMPORTING, timeout=60, message="the import"
    )

    assert job.status == CatalogImport.Status.DONE, (job.report, job.error)
    assert (job.done, job.total, job.stored_path, stored.exists()) == (20, 20, "", False)
    ids = list(Product.objects.values_list("pk", flat=True))
    assert len(ids) == 20
    wait_for(lambda: _stats_right(ids), timeout=60, message="every product's statistics")


def test_an_import_worker_killed_mid_import_leaves_nothing_and_the_next_one_imports_once(
    import_workers, tmp_path
):
    import signal

    from config.queues import QUEUE_CATALOG_IMPORTS
    from testkit.workers import WorkerProcess

    products = 10_000  # a few seconds of writing: long enough to be caught at it
    rows = [
        row(product_sku=f"NEW-{n}", slug=f"new-{n}", variant_sku=f"NEW-{n}-{size}", size=size)
        for n in range(1, products + 1)
        for size in ("S", "M")
    ]
    path = write_csv(tmp_path / "big.csv", rows)
    job = catalog_import_upload(upload=SimpleUploadedFile(path.name, path.read_bytes()), user=None)
    wait_for(lambda: _status(job) == CatalogImport.Status.PREVIEWED, timeout=120, message="dry run")
    catalog_import_confirm(import_id=job.pk)

    def writing() -> bool:
        job.refresh_from_db()
        return job.stage == "writing" and 0 < job.done < products

    wait_for(writing, timeout=120, interval=0.05, message="the import writing")
    importer = import_workers[0]
    importer.kill(signal.SIGKILL)
    # The killed import's transaction died with its connection: nothing of it is left.
    wait_for(lambda: not Product.objects.exists(), timeout=60, message="the rollback")
    assert _status(job) == CatalogImport.Status.IMPORTING

    # RabbitMQ gives the killed worker's message to the next one, which takes the job over
    # once the killed run's signs of life are stale (without it: the sweep, see
    # test_worker_recovery.py).
    import_workers.append(WorkerProcess(queues=[QUEUE_CATALOG_IMPORTS], env=importer.env).start())
    wait_for(lambda: _status(job) != CatalogImport.Status.IMPORTING, timeout=180, message="redo")

    assert job.status == CatalogImport.Status.DONE, (job.report, job.error)
    assert Product.objects.count() == products
    assert Product.history.count() == products  # one record each: imported once
    assert job.stored_path == ""
