"""An import's steps go out through the outbox once the upload or the confirm commits. A
step whose message could not be sent says so on its page, waits for the import sweep and
can be cancelled; an import whose statistics requests could not be sent when it committed
is Imported all the same, and its page says the sweep recomputes them.

The run is the import worker's step called in-process; with real workers and a broker
cut during the import's commit: test_broker_outage.py.
"""

import logging
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.imports.jobs import catalog_import_confirm, catalog_import_upload, import_steps
from catalog.imports.runs import catalog_import_run
from catalog.models import CatalogImport, Product
from stats.models import ProductStaleness
from testkit.on_commit import forget_all, items_in
from testkit.workers import unreachable_broker
from tests.catalog.imports.conftest import row, write_csv

Status = CatalogImport.Status


def _upload(path: Path, user=None) -> CatalogImport:
    return catalog_import_upload(upload=SimpleUploadedFile(path.name, path.read_bytes()), user=user)


def _page(client, job: CatalogImport) -> str:
    url = reverse("admin:catalog_catalogimport_change", args=[job.pk])
    return client.get(url).content.decode()


@pytest.mark.django_db
def test_the_upload_and_the_confirm_each_queue_their_step_once_committed(
    tmp_path, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path / "spring.csv", [row()])
    with django_capture_on_commit_callbacks() as uploaded:
        job = _upload(path)
    assert items_in(import_steps, uploaded) == {job.pk: True}  # the dry run

    CatalogImport.objects.filter(pk=job.pk).update(status=Status.PREVIEWED)
    forget_all()  # as if the upload had committed and its dry run had run
    with django_capture_on_commit_callbacks() as confirmed:
        catalog_import_confirm(import_id=job.pk)
    assert items_in(import_steps, confirmed) == {job.pk: False}  # the import


@pytest.mark.django_db(transaction=True)  # real commits: the publish happens, and fails
def test_an_upload_while_the_broker_is_down_says_so_and_can_be_cancelled(admin_client, tmp_path):
    path = write_csv(tmp_path / "spring.csv", [row()])

    with unreachable_broker():
        response = admin_client.post(
            reverse("admin:catalog_product_import"),
            {"file": SimpleUploadedFile(path.name, path.read_bytes())},
        )

    job = CatalogImport.objects.get()
    assert response.status_code == 302
    assert (job.status, job.queued_at) == (Status.CHECKING, None)  # what the sweep sends
    assert "Not sent yet (the message system" in _page(admin_client, job)

    admin_client.post(reverse("admin:catalog_catalogimport_cancel", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.stored_path) == (Status.CANCELLED, "")


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_statistics_could_not_be_sent_is_imported_and_says_what_follows(
    admin_client, admin_user, tmp_path, caplog
):
    rows = [row(), row(product_sku="NEW-2", slug="new-2", variant_sku="NEW-2-M")]
    job = _upload(write_csv(tmp_path / "spring.csv", rows), admin_user)

    with unreachable_broker(), caplog.at_level(logging.ERROR):
        catalog_import_run(import_id=job.pk, dry_run=True)  # the import worker's steps
        catalog_import_confirm(import_id=job.pk, user=admin_user)
        catalog_import_run(import_id=job.pk, dry_run=False)

    job.refresh_from_db()
    assert job.status == Status.DONE, (job.report, job.error)
    assert job.unsent == (
        "2 statistics requests could not be sent: the periodic sweep recomputes the "
        "products from their stale marks."
    )
    imported = set(Product.objects.values_list("pk", flat=True))
    assert set(ProductStaleness.objects.values_list("product_id", flat=True)) == imported
    assert caplog.text.count("Could not queue 2 statistics requests;") == 1
    assert "<label>After the import:</label>" in _page(admin_client, job)
    assert job.unsent in _page(admin_client, job)
    imported_alone = CatalogImport.objects.create(file_name="other.csv", status=Status.DONE)
    assert "After the import" not in _page(admin_client, imported_alone)
