"""Catalog export and import: the services the commands, the admin and the task call.

The import is all or nothing per file. It reads and checks the whole file first (a bad
file or any row error: nothing is written), compares it with the catalog under row
locks (a conflict: nothing is written), then writes in bulk, all in one transaction.
Bulk writes send no ``post_save``, so the import takes the save path's steps itself:
history records (with the importing user and the file's name as the reason), then
``catalog.receivers.products_bulk_saved``, which bumps each product's version once and
sends ``products_changed``; stats marks them stale in the same transaction and queues one
recompute request per product when it commits.
"""

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.imports.errors import ErrorLog
from catalog.imports.files import ImportFileError, dataset_bytes, read_rows
from catalog.imports.limits import ImportLimits
from catalog.imports.plan import CHUNK, Plan, plan_import
from catalog.imports.report import ImportReport
from catalog.imports.resources import CatalogRowResource, export_chunks, export_queryset
from catalog.imports.rows import products_from_rows
from catalog.imports.writes import write_new_products, write_updates
from catalog.models import Category
from catalog.selectors import category_slug_paths

__all__ = ["ImportReport", "catalog_export", "catalog_export_csv_stream", "catalog_import"]

#: Called with (stage, done, total): stage is "checking" or "writing", counts in products.
Progress = Callable[[str, int, int], None]


class CategoryNotFound(ValueError):
    pass


def _category(slug: str | None) -> Category | None:
    if not slug:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise CategoryNotFound(f"No category with the slug {slug!r}.")
    return category


def catalog_export(*, fmt: str, category_slug: str | None = None) -> bytes:
    """The catalog (or one category's subtree) as a CSV or XLSX file, one row per variant.

    Built whole in memory by django-import-export (tablib): an XLSX has to be. For a
    large CSV, ``catalog_export_csv_stream`` writes as it reads.
    """
    category = _category(category_slug)
    if fmt == "csv":
        return b"".join(catalog_export_csv_stream(category_slug=category_slug))
    dataset = CatalogRowResource().export(
        export_queryset(category=category), force_native_type=True
    )
    return dataset_bytes(dataset, fmt=fmt)


def catalog_export_csv_stream(*, category_slug: str | None = None) -> Iterator[bytes]:
    """The CSV export as chunks of bytes, read and written 1,000 rows at a time.

    The resource turns each variant into its row, as for any export; only the rows being
    written are in memory (a whole-catalog export of 300,000 rows built in memory took
    780 MB). ``CategoryNotFound`` is raised here, before the first chunk.
    """
    category = _category(category_slug)
    return _csv_chunks(category)


def _csv_chunks(category: Category | None) -> Iterator[bytes]:
    resource = CatalogRowResource()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # BOM: Excel opens a CSV as UTF-8 only with it; the import accepts both.
    buffer.write("\ufeff")
    writer.writerow(resource.get_export_headers())
    for variants in export_chunks(category=category):
        for variant in variants:
            writer.writerow(resource.export_resource(variant, force_native_type=True))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


class _Refused(Exception):
    """Rolls the import's transaction back after the locked check found problems."""


def catalog_import(
    *,
    path: Path,
    file_name: str | None = None,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV or XLSX file: everything in it, or nothing (see the module docstring).

    Never raises for a bad file or bad rows: the report says what was wrong
    (``file_error``, ``errors``, ``conflicts``) and ``applied`` stays False.
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
    report.rows, report.products = read.rows, len(products)
    if not read.rows:
        report.file_error = f"{name} has no rows below the header."
        return report
    if read.stopped_at:
        # Too many errors to be worth comparing with the catalog: the file is refused.
        report.record_errors(errors, stopped_at=read.stopped_at)
        return report
    total = len(products)

    def checking(done: int) -> None:
        if on_progress:
            on_progress("checking", done, total)

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
            _write(plan, user=user, reason=_reason(name), on_progress=on_progress)
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
