"""No import waits forever: the sweep sends again a step whose worker was lost or whose
message never left, fails it after its attempts, ends abandoned previews; Cancel ends an
import whose worker is gone at once and asks a live one to stop.

Real worker processes (killed, broker unreachable) are in test_worker_recovery.py; here
the job's state is set as a lost worker or a failed publish leaves it.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.imports.heartbeat import cancel_requested
from catalog.imports.jobs import catalog_import_cancel, import_steps
from catalog.imports.runs import catalog_import_run
from catalog.imports.sweep import catalog_imports_sweep
from catalog.models import CatalogImport, Product
from testkit.on_commit import items_in
from tests.catalog.imports.conftest import row, write_csv

pytestmark = pytest.mark.django_db

Status = CatalogImport.Status


@pytest.fixture
def job_with_file(uploads_in_tmp):
    """An import in ``status`` with its upload stored, set up as a worker would leave it."""

    def make(status: str = Status.IMPORTING, **fields) -> CatalogImport:
        stored = f"imports/{status}-{CatalogImport.objects.count()}.csv"
        target = Path(settings.VAR_DIR) / stored
        target.parent.mkdir(parents=True, exist_ok=True)
        write_csv(target, [row()])
        uploaded = (timezone.now() - timedelta(days=1)).timestamp()
        os.utime(target, (uploaded, uploaded))  # uploaded long ago: the file says nothing
        return CatalogImport.objects.create(
            file_name="spring.csv", stored_path=stored, status=status, **fields
        )

    return make


def _ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def _stale() -> float:
    return settings.CATALOG_IMPORT_STALE_AFTER + 1


def test_the_sweep_sends_again_an_import_whose_worker_stopped_beating(job_with_file):
    job = job_with_file(heartbeat_at=_ago(_stale()), attempts=1, queued_at=_ago(_stale() + 5))

    outcome = catalog_imports_sweep()

    job.refresh_from_db()
    assert outcome.to_send == [(job.pk, False)]
    assert (job.status, job.heartbeat_at, job.queued_at) == (Status.IMPORTING, None, None)


def test_the_sweep_leaves_an_import_whose_worker_beats_alone(job_with_file):
    job_with_file(heartbeat_at=_ago(1), attempts=1, queued_at=_ago(30))

    assert catalog_imports_sweep().to_send == []


def test_an_import_whose_worker_was_lost_at_every_attempt_ends_failed_with_the_reason(
    job_with_file,
):
    attempts = settings.CATALOG_IMPORT_MAX_ATTEMPTS
    job = job_with_file(heartbeat_at=_ago(_stale()), attempts=attempts, queued_at=_ago(600))
    stored = Path(settings.VAR_DIR) / job.stored_path

    outcome = catalog_imports_sweep()

    job.refresh_from_db()
    assert (outcome.to_send, outcome.failed) == ([], [job.pk])
    assert job.status == Status.FAILED and not stored.exists()
    assert f"worker was lost during each of {attempts} attempts" in job.error


def test_the_sweep_sends_a_step_whose_message_never_reached_the_broker(job_with_file):
    checking = job_with_file(Status.CHECKING)  # the upload's publish failed
    importing = job_with_file(Status.IMPORTING)  # the confirm's publish failed

    outcome = catalog_imports_sweep()

    assert outcome.to_send == [(checking.pk, True), (importing.pk, False)]


def test_the_steps_to_send_go_out_together_once_the_sweeps_resets_commit(
    job_with_file, django_capture_on_commit_callbacks
):
    checking = job_with_file(Status.CHECKING)
    lost = job_with_file(heartbeat_at=_ago(_stale()), attempts=1, queued_at=_ago(600))

    with django_capture_on_commit_callbacks() as callbacks:
        catalog_imports_sweep()

    owners = {type(callback).__name__ for callback in callbacks}
    assert len(callbacks) == 1, owners  # one publish: a broker still down fails once
    assert items_in(import_steps, callbacks) == {checking.pk: True, lost.pk: False}


def test_a_step_waiting_on_the_queue_is_sent_again_only_after_the_time_limit(job_with_file):
    waiting = job_with_file(queued_at=_ago(60))
    lost_on_the_way = job_with_file(queued_at=_ago(settings.CATALOG_IMPORT_TIME_LIMIT + 1))

    outcome = catalog_imports_sweep()

    assert outcome.to_send == [(lost_on_the_way.pk, False)]
    waiting.refresh_from_db()
    assert waiting.queued_at is not None


def test_the_sweep_cancels_abandoned_previews_and_removes_their_files(job_with_file):
    old = job_with_file(Status.PREVIEWED)
    CatalogImport.objects.filter(pk=old.pk).update(
        created_at=_ago(settings.CATALOG_IMPORT_PREVIEW_MAX_AGE + 1)
    )
    recent = job_with_file(Status.PREVIEWED)
    stored = Path(settings.VAR_DIR) / old.stored_path

    outcome = catalog_imports_sweep()

    old.refresh_from_db()
    recent.refresh_from_db()
    assert outcome.abandoned == 1
    assert (old.status, stored.exists(), recent.status) == (
        Status.CANCELLED,
        False,
        Status.PREVIEWED,
    )


def test_cancel_ends_at_once_an_import_whose_worker_is_gone(job_with_file):
    job = job_with_file(heartbeat_at=_ago(_stale()), attempts=1, queued_at=_ago(600))
    stored = Path(settings.VAR_DIR) / job.stored_path

    catalog_import_cancel(import_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.stored_path, stored.exists()) == (Status.CANCELLED, "", False)


def test_cancel_ends_at_once_an_import_no_worker_has_started(job_with_file):
    job = job_with_file(queued_at=None)  # its publish failed

    catalog_import_cancel(import_id=job.pk)

    job.refresh_from_db()
    assert job.status == Status.CANCELLED


def test_cancel_of_a_running_import_asks_it_to_stop_and_the_sweep_ends_it_if_its_worker_dies(
    job_with_file,
):
    job = job_with_file(heartbeat_at=_ago(1), attempts=1, queued_at=_ago(30))

    catalog_import_cancel(import_id=job.pk)

    job.refresh_from_db()
    # In the database, or on SQLite (held by the run) in a file beside the upload.
    assert job.status == Status.IMPORTING and cancel_requested(job)
    CatalogImport.objects.filter(pk=job.pk).update(heartbeat_at=_ago(_stale()))
    outcome = catalog_imports_sweep()
    job.refresh_from_db()
    assert (outcome.cancelled, outcome.to_send, job.status) == ([job.pk], [], Status.CANCELLED)
    assert not list((Path(settings.VAR_DIR) / "imports").iterdir())  # upload and request


def test_a_run_that_finds_a_cancel_request_ends_cancelled_and_imports_nothing(job_with_file):
    job = job_with_file(cancel_requested_at=timezone.now(), queued_at=_ago(5))

    catalog_import_run(import_id=job.pk, dry_run=False)

    job.refresh_from_db()
    assert job.status == Status.CANCELLED and not Product.objects.exists()


def test_a_message_delivered_again_after_the_import_ended_does_nothing(job_with_file):
    job = job_with_file(Status.DONE, attempts=1)

    catalog_import_run(import_id=job.pk, dry_run=False)

    job.refresh_from_db()
    assert (job.status, job.attempts, Product.objects.count()) == (Status.DONE, 1, 0)


def test_a_run_lost_at_every_attempt_is_not_run_again_by_its_message(job_with_file):
    attempts = settings.CATALOG_IMPORT_MAX_ATTEMPTS
    job = job_with_file(heartbeat_at=_ago(_stale()), attempts=attempts, queued_at=_ago(600))

    catalog_import_run(import_id=job.pk, dry_run=False)

    job.refresh_from_db()
    assert job.status == Status.FAILED and not Product.objects.exists()


def test_a_run_counts_its_attempt_and_imports(job_with_file):
    job = job_with_file(heartbeat_at=_ago(_stale()), attempts=1, queued_at=_ago(600))

    catalog_import_run(import_id=job.pk, dry_run=False)

    job.refresh_from_db()
    assert (job.status, job.attempts) == (Status.DONE, 2), (job.report, job.error)
    assert Product.objects.filter(sku="NEW-1").exists()


@pytest.mark.slow
def test_a_message_delivered_again_just_after_its_worker_died_waits_for_it_to_go_stale(
    job_with_file, settings
):
    settings.CATALOG_IMPORT_STALE_AFTER = 5
    # Its worker was heard from 3 s ago: it looks alive for 2 s more, then is taken over.
    job = job_with_file(heartbeat_at=_ago(3), attempts=1, queued_at=_ago(600))

    catalog_import_run(import_id=job.pk, dry_run=False)

    job.refresh_from_db()
    assert (job.status, job.attempts) == (Status.DONE, 2)


def test_beat_sends_the_sweep_to_the_queue_the_procfiles_import_worker_consumes():
    from config.celery import app
    from testkit.stack import procfile_commands

    entry = settings.CELERY_BEAT_SCHEDULE["catalog-import-sweep"]
    queue = app.conf.task_routes[entry["task"]]["queue"]
    command = procfile_commands()["import-worker"].split()
    consumed = command[command.index("-Q") + 1].split(",")

    assert queue in consumed
    assert (
        entry["schedule"] == entry["options"]["expires"] == settings.CATALOG_IMPORT_SWEEP_INTERVAL
    )


def test_imports_stuck_before_this_version_end_failed_instead_of_running_weeks_late(
    job_with_file,
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "catalog.migrations.0009_catalog_import_owner_and_heartbeat"
    )
    stuck = job_with_file()  # "Importing", no queued_at: what a lost worker left before
    previewed = job_with_file(Status.PREVIEWED)
    stored = Path(settings.VAR_DIR) / stuck.stored_path

    migration.fail_imports_stuck_before(apps, None)

    stuck.refresh_from_db()
    previewed.refresh_from_db()
    assert (stuck.status, stored.exists(), previewed.status) == (
        Status.FAILED,
        False,
        Status.PREVIEWED,
    )
    assert "Upload the file again" in stuck.error
    assert catalog_imports_sweep().to_send == []
