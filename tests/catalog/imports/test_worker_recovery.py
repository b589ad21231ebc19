"""No import is stuck forever, with real workers on RabbitMQ: a SIGKILLed import worker
leaves a job that the sweep sends again (the embedded broker loses the message: the
queue is purged here to be like it) or that Cancel ends at once; a running import is
cancelled and rolls back; a confirm whose publish failed is sent by the sweep."""

import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from catalog.imports.heartbeat import run_is_alive
from catalog.imports.jobs import catalog_import_confirm, catalog_import_upload
from catalog.models import CatalogImport, Product
from catalog.tasks import catalog_import_sweep_task
from config.queues import QUEUE_CATALOG_IMPORTS
from testkit.workers import (
    WorkerProcess,
    purge_queue,
    queue_counts,
    unreachable_broker,
    wait_for,
)
from tests.catalog.imports.conftest import product_rows, write_csv

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Status = CatalogImport.Status
PRODUCTS = 10_000  # a few seconds of writing: long enough to be caught at it


def _refreshed(job: CatalogImport) -> CatalogImport:
    job.refresh_from_db()
    return job


@pytest.fixture
def uploader(editors_group_restored, editor_factory):
    user = editor_factory(username="alice")
    client = Client()
    client.force_login(user)
    return user, client


def _previewed(tmp_path, user, products: int = PRODUCTS) -> CatalogImport:
    path = write_csv(tmp_path / "big.csv", product_rows(products))
    job = catalog_import_upload(upload=SimpleUploadedFile(path.name, path.read_bytes()), user=user)
    wait_for(lambda: _refreshed(job).status == Status.PREVIEWED, timeout=120, message="the dry run")
    return job


def _importing(tmp_path, user) -> CatalogImport:
    """An import confirmed by ``user`` and caught in the first half of its writing (the bar
    lags up to a beat behind, and a loaded machine writes the rest in a second or two)."""
    job = _previewed(tmp_path, user)
    catalog_import_confirm(import_id=job.pk, user=user)

    def writing() -> bool:
        _refreshed(job)
        return job.stage == "writing" and 0 < job.done < PRODUCTS // 2

    wait_for(writing, timeout=120, interval=0.05, message="the import writing")
    return job


def _kill_mid_import(import_workers, job: CatalogImport) -> None:
    import_workers[0].kill(signal.SIGKILL)
    # The killed import's transaction died with its connection: nothing of it is left.
    wait_for(lambda: not Product.objects.exists(), timeout=60, message="the rollback")
    wait_for(lambda: not run_is_alive(_refreshed(job)), timeout=30, message="a stale heartbeat")
    assert job.status == Status.IMPORTING


def test_a_killed_import_worker_whose_message_is_lost_leaves_a_job_the_sweep_sends_again(
    import_workers, tmp_path, uploader
):
    user, _ = uploader
    job = _importing(tmp_path, user)
    _kill_mid_import(import_workers, job)
    purge_queue(QUEUE_CATALOG_IMPORTS)  # as the embedded broker does: the message is gone
    # Its consumer died seconds ago: RabbitMQ had returned the message, and it was purged.
    assert queue_counts(QUEUE_CATALOG_IMPORTS) == (0, 0)

    import_workers.append(
        WorkerProcess(queues=[QUEUE_CATALOG_IMPORTS], env=import_workers[0].env).start()
    )
    assert _refreshed(job).status == Status.IMPORTING  # nothing else would ever run it
    catalog_import_sweep_task.delay()  # what beat sends every CATALOG_IMPORT_SWEEP_INTERVAL
    wait_for(lambda: _refreshed(job).status != Status.IMPORTING, timeout=180, message="redo")

    assert job.status == Status.DONE, (job.report, job.error)
    assert job.attempts == 2
    assert Product.objects.count() == PRODUCTS
    assert Product.history.filter(history_user=user).count() == PRODUCTS  # imported once


def test_an_import_whose_worker_was_killed_is_cancelled_at_once(import_workers, tmp_path, uploader):
    user, client = uploader
    job = _importing(tmp_path, user)
    _kill_mid_import(import_workers, job)

    response = client.post(
        reverse("admin:catalog_catalogimport_cancel", args=[job.pk]), follow=True
    )

    assert "Import cancelled; nothing was saved." in response.content.decode()
    assert (_refreshed(job).status, job.stored_path) == (Status.CANCELLED, "")
    # The killed worker's message, back on RabbitMQ, finds it cancelled.
    import_workers.append(
        WorkerProcess(queues=[QUEUE_CATALOG_IMPORTS], env=import_workers[0].env).start()
    )
    later = _previewed(tmp_path, user, products=3)  # queued behind it: the worker got there
    assert later.status == Status.PREVIEWED
    assert (_refreshed(job).status, Product.objects.count()) == (Status.CANCELLED, 0)


def test_cancelling_a_running_import_rolls_it_back(import_workers, tmp_path, uploader):
    user, client = uploader
    job = _importing(tmp_path, user)

    response = client.post(
        reverse("admin:catalog_catalogimport_cancel", args=[job.pk]), follow=True
    )

    assert "Cancelling: the import stops at its next step" in response.content.decode()
    wait_for(lambda: _refreshed(job).status != Status.IMPORTING, timeout=60, message="the stop")
    assert (job.status, job.stored_path) == (Status.CANCELLED, "")
    assert not Product.objects.exists() and not Product.history.exists()
    # The worker lives on and takes the next import.
    assert _previewed(tmp_path, user, products=3).status == Status.PREVIEWED


def test_a_confirm_whose_publish_failed_is_sent_by_the_sweep(import_workers, tmp_path, uploader):
    user, client = uploader
    job = _previewed(tmp_path, user, products=20)
    page = reverse("admin:catalog_catalogimport_change", args=[job.pk])

    with unreachable_broker():
        response = client.post(
            reverse("admin:catalog_catalogimport_confirm", args=[job.pk]), follow=True
        )

    assert "the message system cannot be reached right now" in response.content.decode()
    assert (_refreshed(job).status, job.queued_at) == (Status.IMPORTING, None)
    assert "Not sent yet (the message system" in client.get(page).content.decode()
    catalog_import_sweep_task.delay()
    wait_for(lambda: _refreshed(job).status != Status.IMPORTING, timeout=60, message="import")

    assert job.status == Status.DONE, (job.report, job.error)
    assert Product.objects.count() == 20
