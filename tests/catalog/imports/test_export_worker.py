"""A large export end to end: asked for on the product list, written by the import worker
process (RabbitMQ), then listed on Jobs and downloaded by the editor who asked."""

import pytest
from django.test import Client
from django.urls import reverse

from catalog.imports.exports import catalog_export_csv_stream
from catalog.models import CatalogExport
from testkit.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _status(job: CatalogExport) -> str:
    job.refresh_from_db()
    return job.status


def test_a_large_export_is_written_by_the_import_worker_and_downloaded_from_jobs(
    import_workers, settings, editor_factory, variant_factory
):
    settings.CATALOG_EXPORT_BACKGROUND_FROM = 3  # the asking side decides; the worker writes
    for number in range(5):
        variant_factory(sku=f"BIG-{number}-M", product__sku=f"BIG-{number}")
    client = Client()
    client.force_login(editor_factory(username="alice"))

    asked = client.get(reverse("admin:catalog_product_export") + "?format=csv")

    assert asked.status_code == 302
    job = CatalogExport.objects.get()
    wait_for(lambda: _status(job) == CatalogExport.Status.DONE, timeout=60, message="the export")
    assert (job.done, job.total) == (5, 5)
    jobs = client.get(reverse("admin:editors_job_changelist"))
    (row,) = [r["row"] for r in jobs.context["rows"] if r["row"].kind == "Export"]
    download = client.get(row.result_url)
    assert b"".join(download.streaming_content) == b"".join(catalog_export_csv_stream())
