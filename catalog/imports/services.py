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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.imports.files import ImportFileError, read_rows
from catalog.imports.plan import CHUNK, Conflict, FieldChange, Plan, ProductChange, plan_import
from catalog.imports.rows import ProductSpec, RowError, products_from_rows
from catalog.imports.writes import write_new_products, write_updates
from catalog.selectors import category_slug_paths
from config.humanize import quantity

#: How many changed and new products a report lists one by one (counts are always whole).
REPORT_LIMIT = 200

#: Called with (stage, done, total): stage is "checking" or "writing", counts in products.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    file_name: str
    dry_run: bool
    rows: int = 0
    products: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    #: True once the import committed (never for a dry run or a refused file).
    applied: bool = False
    #: A refusal of the whole file (one sentence), else empty.
    file_error: str = ""
    errors: list[RowError] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    #: The first ``REPORT_LIMIT`` changed products, field by field, and new SKUs.
    changes: list[ProductChange] = field(default_factory=list)
    new_skus: list[tuple[str, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.file_error or self.errors or self.conflicts)

    def summary(self) -> str:
        if self.file_error:
            return self.file_error
        counts = (
            f"{self.new:,} new, {self.changed:,} changed, {self.unchanged:,} unchanged "
            f"{'product' if self.products == 1 else 'products'} ({quantity(self.rows, 'row')})"
        )
        if not self.ok:
            return (
                f"Nothing imported: {quantity(len(self.errors), 'row error')}, "
                f"{quantity(len(self.conflicts), 'conflict')}."
            )
        if self.dry_run:
            return f"Dry run, nothing saved: {counts}."
        return f"Imported: {counts}."

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImportReport":
        data = dict(data)
        data["errors"] = [RowError(**e) for e in data.get("errors", [])]
        data["conflicts"] = [Conflict(**c) for c in data.get("conflicts", [])]
        data["changes"] = [
            ProductChange(c["sku"], c["line"], [FieldChange(**f) for f in c["changes"]])
            for c in data.get("changes", [])
        ]
        data["new_skus"] = [tuple(s) for s in data.get("new_skus", [])]
        return cls(**data)


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
    try:
        paths = category_slug_paths()
        products, errors, rows = products_from_rows(
            read_rows(path, name=name), category_ids={p: pk for pk, p in paths.items()}, name=name
        )
    except ImportFileError as exc:
        report.file_error = str(exc)
        return report
    report.rows, report.products = rows, len(products)
    if not rows:
        report.file_error = f"{name} has no rows below the header."
        return report
    total = len(products)

    def checking(done: int) -> None:
        if on_progress:
            on_progress("checking", done, total)

    if dry_run or errors:
        plan = plan_import(products, lock=False, paths=paths, on_progress=checking)
        plan.errors = sorted(errors + plan.errors, key=lambda e: e.line)
        _fill(report, plan, products)
        return report
    try:
        with transaction.atomic():
            plan = plan_import(products, lock=True, paths=paths, on_progress=checking)
            _fill(report, plan, products)
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


def _fill(report: ImportReport, plan: Plan, products: list[ProductSpec]) -> None:
    report.errors = plan.errors
    report.conflicts = plan.conflicts
    report.new = len(plan.new)
    report.changed = len(plan.updates)
    report.unchanged = plan.unchanged
    report.changes = plan.changes[:REPORT_LIMIT]
    report.new_skus = [(spec.sku, spec.line) for spec in plan.new[:REPORT_LIMIT]]


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
