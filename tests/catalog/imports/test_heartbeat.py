"""A running import's signs of life: its heartbeat, written beside its transaction, and
the cancel check it makes between chunks."""

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.imports.heartbeat import (
    ImportCancelled,
    RunMonitor,
    cancel_marker,
    last_sign_of_life,
    run_is_alive,
)
from catalog.models import CatalogImport, Product

Status = CatalogImport.Status


def _job(**fields) -> CatalogImport:
    stored = "imports/running.csv"
    target = Path(settings.VAR_DIR) / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("product_sku\n")
    uploaded = (timezone.now() - timedelta(days=1)).timestamp()
    os.utime(target, (uploaded, uploaded))
    return CatalogImport.objects.create(
        file_name="running.csv", stored_path=stored, status=Status.IMPORTING, **fields
    )


def _until(check, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_moves_while_the_run_holds_its_transaction_and_survives_its_rollback():
    job = _job(heartbeat_at=timezone.now() - timedelta(hours=1), attempts=1)
    before = last_sign_of_life(job)

    with RunMonitor(job, expected=Status.IMPORTING) as monitor:
        with transaction.atomic():
            Product.objects.create(sku="HELD-1", name="Held", slug="held")  # the run's write
            monitor("writing", 1, 2)
            # The beat goes beside the transaction (its own connection, or on SQLite,
            # which the transaction holds whole, the upload's modification time).
            _until(lambda: last_sign_of_life(CatalogImport.objects.get(pk=job.pk)) > before)
            transaction.set_rollback(True)
        monitor("writing", 2, 2)
        _until(lambda: CatalogImport.objects.get(pk=job.pk).done == 2)

    job.refresh_from_db()
    assert not Product.objects.exists()
    assert run_is_alive(job) and job.stage == "writing"


@pytest.mark.django_db(transaction=True)
def test_a_new_stage_shows_on_the_bar_at_once_not_a_beat_later(monkeypatch):
    monkeypatch.setattr("catalog.imports.heartbeat.BEAT_SECONDS", 120)
    job = _job(heartbeat_at=timezone.now() - timedelta(hours=1), attempts=1, stage="checking")

    with RunMonitor(job, expected=Status.IMPORTING) as monitor:
        _until(lambda: run_is_alive(CatalogImport.objects.get(pk=job.pk)))  # the first beat
        monitor("checking", 5, 10)  # the same stage: waits for the next beat, two minutes away
        time.sleep(0.5)
        assert CatalogImport.objects.get(pk=job.pk).done == 0
        monitor("writing", 1, 10)
        _until(lambda: CatalogImport.objects.get(pk=job.pk).stage == "writing", timeout=20)

    assert CatalogImport.objects.get(pk=job.pk).done == 1


@pytest.mark.django_db(transaction=True)
def test_a_cancel_request_stops_the_run_at_its_next_step():
    job = _job(heartbeat_at=timezone.now(), attempts=1)

    with RunMonitor(job, expected=Status.IMPORTING) as monitor:
        monitor("writing", 1, 3)  # not cancelled: goes on
        CatalogImport.objects.filter(pk=job.pk).update(cancel_requested_at=timezone.now())
        _until(monitor.cancelled.is_set)
        with pytest.raises(ImportCancelled):
            monitor("writing", 2, 3)


@pytest.mark.django_db(transaction=True)
def test_a_cancel_request_beside_the_upload_stops_the_run_too():
    # Where the run holds the database (SQLite), Cancel cannot write it: it leaves a file.
    job = _job(heartbeat_at=timezone.now(), attempts=1)

    with RunMonitor(job, expected=Status.IMPORTING) as monitor:
        cancel_marker(job).touch()
        _until(monitor.cancelled.is_set)
        with pytest.raises(ImportCancelled):
            monitor("writing", 2, 3)


@pytest.mark.django_db
def test_a_recently_touched_upload_is_a_sign_of_life_and_an_old_beat_alone_is_not():
    stale = timezone.now() - timedelta(seconds=settings.CATALOG_IMPORT_STALE_AFTER + 1)
    job = _job(heartbeat_at=stale, attempts=1)
    assert not run_is_alive(job)

    os.utime(Path(settings.VAR_DIR) / job.stored_path)

    assert run_is_alive(job)
    job.heartbeat_at = None  # no run started: a fresh file proves nothing
    assert not run_is_alive(job)
