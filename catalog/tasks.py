"""Celery wiring of catalog imports: the import worker's one task. No logic here."""

from django.conf import settings
from django.db import transaction

from catalog import worker  # noqa: F401  (the import worker's rule)
from config.celery import app
from config.queues import TASK_CATALOG_IMPORT


@app.task(
    name=TASK_CATALOG_IMPORT,
    # A lost worker rolled the import back: the message comes back and it runs again.
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.CATALOG_IMPORT_TIME_LIMIT,
    soft_time_limit=settings.CATALOG_IMPORT_TIME_LIMIT - 30,
    ignore_result=True,
)
def catalog_import_task(import_id: int, dry_run: bool) -> None:
    from catalog.imports.jobs import catalog_import_run

    catalog_import_run(import_id=import_id, dry_run=dry_run)


def catalog_import_queue(*, import_id: int, dry_run: bool) -> None:
    """Queue the dry run or the import once the caller's transaction commits."""
    transaction.on_commit(
        lambda: catalog_import_task.apply_async(args=(import_id, dry_run)), robust=True
    )
