"""Celery wiring of the import worker: imports (task, sender, sweep), bulk edits and
large exports.

No logic here: a step's message is sent once its upload or confirm has committed
(``catalog.imports.jobs.import_steps``, ``config.outbox``), and the sweep decides which
steps to send again (``catalog.imports.sweep``).
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from config.celery import app
from config.queues import (
    TASK_CATALOG_BULK_EDIT,
    TASK_CATALOG_BULK_EDIT_UNDO,
    TASK_CATALOG_EXPORT,
    TASK_CATALOG_IMPORT,
    TASK_CATALOG_IMPORT_SWEEP,
)

logger = logging.getLogger(__name__)

#: What every job of the import worker (an import step, a bulk edit, its undo, an export)
#: runs under: acknowledged once done, so a lost worker's message comes back (each job's
#: record then says where to go on), and bounded by the import's time limit.
WORKER_JOB: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "time_limit": settings.CATALOG_IMPORT_TIME_LIMIT,
    "soft_time_limit": settings.CATALOG_IMPORT_TIME_LIMIT - 30,
    "ignore_result": True,
}


@app.task(
    name=TASK_CATALOG_IMPORT,
    # A lost worker rolled the import back: the message comes back and it runs again
    # (once its worker's signs of life are stale: catalog.imports.runs._claim).
    **WORKER_JOB,
)
def catalog_import_task(import_id: int, dry_run: bool) -> None:
    from catalog.imports.runs import catalog_import_run

    catalog_import_run(import_id=import_id, dry_run=dry_run)


def send_import_steps(steps: Iterable[tuple[int, bool]]) -> None:
    """The sender of ``catalog.imports.jobs.import_steps`` (``config.outbox``).

    Each step's message, without publish retries, then the record that it went (until
    then the sweep sends it again).
    """
    from catalog.imports.jobs import catalog_import_mark_queued

    for import_id, dry_run in steps:
        catalog_import_task.apply_async(args=(import_id, dry_run), retry=False)
        catalog_import_mark_queued(import_id=import_id)


@app.task(name=TASK_CATALOG_IMPORT_SWEEP, ignore_result=True)
def catalog_import_sweep_task() -> None:
    from catalog.imports.sweep import catalog_imports_sweep

    outcome = catalog_imports_sweep()
    if outcome.to_send:
        logger.info("Import sweep sent %s import step(s) again", len(outcome.to_send))
    # Bulk edits run on the same worker: the same sweep sees that none waits forever.
    from catalog.bulkedit.sweep import bulk_edits_sweep

    resent = bulk_edits_sweep()
    if resent:
        logger.warning("Import sweep sent bulk edit(s) %s again", ", ".join(map(str, resent)))
    # And the large exports (their files too: they sit in the directory it shares).
    from catalog.imports.export_jobs import catalog_exports_sweep

    exports = catalog_exports_sweep()
    if exports:
        logger.warning("Import sweep sent export(s) %s again", ", ".join(map(str, exports)))


@app.task(
    name=TASK_CATALOG_BULK_EDIT,
    # A lost worker leaves the chunks it committed: the message comes back and the next
    # run takes the job over once its signs of life are stale, skipping what was applied
    # (catalog.bulkedit.jobs.claim).
    **WORKER_JOB,
)
def catalog_bulk_edit_task(job_id: int) -> None:
    from catalog.bulkedit.jobs import bulk_edit_run

    bulk_edit_run(job_id=job_id)


def send_bulk_edits(items: Iterable[tuple[int, None]]) -> None:
    """The sender of ``catalog.bulkedit.jobs.bulk_edits`` (``config.outbox``)."""
    from catalog.bulkedit.jobs import bulk_edit_mark_queued

    for job_id, _ in items:
        catalog_bulk_edit_task.apply_async(args=(job_id,), retry=False)
        bulk_edit_mark_queued(job_id=job_id)


@app.task(
    name=TASK_CATALOG_BULK_EDIT_UNDO,
    # As the edit: a lost worker's message comes back and the next run goes on after the
    # last chunk that committed (catalog.bulkedit.undo).
    **WORKER_JOB,
)
def catalog_bulk_edit_undo_task(job_id: int) -> None:
    from catalog.bulkedit.undo import bulk_edit_undo_run

    bulk_edit_undo_run(job_id=job_id)


def send_bulk_edit_undos(items: Iterable[tuple[int, None]]) -> None:
    """The sender of ``catalog.bulkedit.undo.bulk_edit_undos`` (``config.outbox``)."""
    from catalog.bulkedit.undo import bulk_edit_undo_mark_queued

    for job_id, _ in items:
        catalog_bulk_edit_undo_task.apply_async(args=(job_id,), retry=False)
        bulk_edit_undo_mark_queued(job_id=job_id)


@app.task(
    name=TASK_CATALOG_EXPORT,
    # A lost worker leaves a half-written file, never offered: the sweep ends the export
    # as Failed, and a message delivered again finds it taken (export_jobs.catalog_export_run).
    **WORKER_JOB,
)
def catalog_export_task(export_id: int) -> None:
    from catalog.imports.export_jobs import catalog_export_run

    catalog_export_run(export_id=export_id)


def send_exports(items: Iterable[tuple[int, None]]) -> None:
    """The sender of ``catalog.imports.export_jobs.catalog_exports`` (``config.outbox``)."""
    from catalog.imports.export_jobs import catalog_export_mark_queued

    for export_id, _ in items:
        catalog_export_task.apply_async(args=(export_id,), retry=False)
        catalog_export_mark_queued(export_id=export_id)
