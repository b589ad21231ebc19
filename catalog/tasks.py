"""Celery wiring of catalog imports: the import worker's task and its sweep. No logic here."""

import logging

from django.conf import settings
from django.db import transaction

from config.celery import app
from config.queues import TASK_CATALOG_IMPORT, TASK_CATALOG_IMPORT_SWEEP

logger = logging.getLogger(__name__)


@app.task(
    name=TASK_CATALOG_IMPORT,
    # A lost worker rolled the import back: the message comes back and it runs again
    # (once its worker's signs of life are stale: catalog.imports.runs._claim).
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.CATALOG_IMPORT_TIME_LIMIT,
    soft_time_limit=settings.CATALOG_IMPORT_TIME_LIMIT - 30,
    ignore_result=True,
)
def catalog_import_task(import_id: int, dry_run: bool) -> None:
    from catalog.imports.runs import catalog_import_run

    catalog_import_run(import_id=import_id, dry_run=dry_run)


def catalog_import_publish(*, import_id: int, dry_run: bool) -> None:
    """Send the step's message now, and record that it went (else the sweep sends it)."""
    from catalog.imports.jobs import catalog_import_mark_queued

    catalog_import_task.apply_async(args=(import_id, dry_run))
    catalog_import_mark_queued(import_id=import_id)


def catalog_import_queue(*, import_id: int, dry_run: bool) -> None:
    """Queue the dry run or the import once the caller's transaction commits.

    A broker outage is logged, not raised: the import is recorded and the sweep sends
    its message once the broker is back.
    """
    transaction.on_commit(
        lambda: catalog_import_publish(import_id=import_id, dry_run=dry_run), robust=True
    )


@app.task(name=TASK_CATALOG_IMPORT_SWEEP, ignore_result=True)
def catalog_import_sweep_task() -> None:
    from catalog.imports.sweep import catalog_imports_sweep

    outcome = catalog_imports_sweep()
    for import_id, dry_run in outcome.to_send:
        catalog_import_publish(import_id=import_id, dry_run=dry_run)
    if outcome.to_send:
        logger.info("Import sweep sent %s import step(s) again", len(outcome.to_send))
