"""Catalog import: the services the command, the admin and the task call.

The import is all or nothing per file. It reads and checks the whole file first (a bad
file or any row error: nothing is written), compares it with the catalog under row
locks (a conflict: nothing is written), then writes in bulk, all in one transaction.
Bulk writes send no ``post_save``, so the import takes the save path's steps itself:
history records (with the importing user and the file's name as the reason), then
``catalog.receivers.products_bulk_saved``, which bumps each product's version once and
sends ``products_changed``; stats marks them stale in the same transaction and queues one
recompute request per product when it commits.
"""

from collections.abc import Callable
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.imports import layout
from catalog.imports.errors import ErrorLog
from catalog.imports.files import ImportFileError, read_rows
from catalog.imports.limits import ImportLimits
from catalog.imports.plan import CHUNK, Plan, plan_import
from catalog.imports.report import ImportReport
from catalog.imports.rows import CATEGORY_MISSING, category_hint, products_from_rows
from catalog.imports.writes import write_new_products, write_updates
from catalog.selectors import category_slug_paths

__all__ = ["ImportReport", "catalog_import"]

#: Called with (stage, done, total): stage is "checking" or "writing", counts in products.
Progress = Callable[[str, int, int], None]


class _Refused(Exception):
    """Rolls the import's transaction back after the locked check found problems."""


def catalog_import(
    *,
    path: Path,
    file_name: str | None = None,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    on_progress: Progress | None = None,
    reason: str | None = None,
) -> ImportReport:
    """Import a CSV or XLSX file: everything in it, or nothing (see the module docstring).

    Never raises for a bad file or bad rows: the report says what was wrong
    (``file_error``, ``errors``, ``conflicts``) and ``applied`` stays False. ``reason``
    replaces the history's "Import of <file>" (an admin import names its uploader too).
    An exception raised by ``on_progress`` rolls the import back and reaches the caller.
    """
    name = file_name or path.name
    report = ImportReport(file_name=name, dry_run=dry_run)
    limits = ImportLimits.from_settings()
    errors = ErrorLog(
        keep_per_kind=limits.report_errors_per_kind, stop_after=limits.stop_after_errors
    )
    try:
        paths = category_slug_paths()
        read = products_from_rows(
            read_rows(path, name=name, limits=limits),
            category_ids={p: pk for pk, p in paths.items()},
            name=name,
            errors=errors,
        )
    except ImportFileError as exc:
        report.file_error = str(exc)
        return report
    products = read.products
    report.rows, report.products = read.rows, len(products) + read.refused
    if not read.rows:
        report.file_error = f"{name} has no rows below the header."
        return report
    if errors.counts.get((layout.CATEGORY, CATEGORY_MISSING)):
        report.category_hint = category_hint(paths.values())
    if read.stopped_at:
        # Too many errors to be worth comparing with the catalog: the file is refused.
        report.record_errors(errors, stopped_at=read.stopped_at)
        return report
    total = len(products)

    def checking(done: int) -> None:
        if on_progress:
            on_progress("checking", done, total)

    if total:
        checking(0)  # the counts are known: the page shows them from now on

    if dry_run or errors.total:
        report.record_plan(
            plan_import(products, lock=False, paths=paths, errors=errors, on_progress=checking)
        )
        return report
    try:
        with transaction.atomic():
            plan = plan_import(
                products, lock=True, paths=paths, errors=errors, on_progress=checking
            )
            report.record_plan(plan)
            if not report.ok:
                raise _Refused
            _write(plan, user=user, reason=reason or _reason(name), on_progress=on_progress)
    except _Refused:
        return report
    except IntegrityError as exc:
        report.file_error = f"{name}: the database refused the import, nothing saved ({exc})."
        return report
    report.applied = True
    return report


def _reason(name: str) -> str:
    # history_change_reason is a CharField(100).
    return f"Import of {name}"[:100]


def _write(
    plan: Plan,
    *,
    user: AbstractBaseUser | None,
    reason: str,
    on_progress: Progress | None,
) -> None:
    now = timezone.now()
    total = len(plan.new) + len(plan.updates)
    done = 0
    for start in range(0, len(plan.new), CHUNK):
        chunk = plan.new[start : start + CHUNK]
        write_new_products(chunk, user=user, reason=reason, when=now)
        done += len(chunk)
        if on_progress:
            on_progress("writing", done, total)
    for start in range(0, len(plan.updates), CHUNK):
        updates = plan.updates[start : start + CHUNK]
        write_updates(updates, user=user, reason=reason, when=now)
        done += len(updates)
        if on_progress:
            on_progress("writing", done, total)
