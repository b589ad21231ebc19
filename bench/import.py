"""Import benchmark: 100,000 products (about 300,000 variant rows) into an empty catalog.

Why: an import is thousands of saves at once. It must be fast (at least 2,000 rows/s and
10 times django-import-export's default row-by-row import) and it must go through the
save path, so that the batch worker brings every imported product's statistics up to
date within minutes (target: 3 minutes after the import's end).

Needs MariaDB and RabbitMQ, a database of its own (emptied at start: every product,
variant, history record and statistic in it is deleted) and, best, a vhost of its own
(its stats and import queues are purged):

    mariadb -uroot -h127.0.0.1 -e \\
        'CREATE DATABASE IF NOT EXISTS catalog_bench_import CHARACTER SET utf8mb4'
    rabbitmqctl add_vhost bench && rabbitmqctl set_permissions -p bench guest '.*' '.*' '.*'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench_import \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench \\
        .venv/bin/python bench/import.py [--products 100000] [--baseline-rows 3000]

What it does, in one run:

1. Migrates, empties the catalog (keeping the demo category tree) and writes the file:
   ``--products`` demo products (the seed's names, descriptions, categories, 1-5
   variants each) as the export's CSV layout, in ``var/bench-import/``.
2. **Baseline**: the file's first ``--baseline-rows`` rows through django-import-export's
   default row-by-row import (``testkit.import_baseline.RowByRowResource().import_data``:
   one ``save()`` per row, each with its version bump, history record and statistics
   request), in this
   process, into the empty catalog, with no worker running (so nothing slows it down).
   The same rows then go through our import (``catalog_import``, in-process) into an
   emptied catalog: the same work, row for row. The catalog is emptied again.
3. Starts the Procfile's workers and beat as in the Procfile (batch, bulk and import
   workers; beat for the periodic category refresh and sweep), with their default
   settings.
4. **The import**, as an editor's would run: the file is uploaded
   (``catalog_import_upload``), its dry run and then the confirmed import run in the
   import worker. Rows/s is the file's rows over the time from the confirmation until
   the import's page says "Imported" (the commit, and the publication of one recompute
   request per product, included).
5. **Statistics**: from the import's end, polls until no product or category is stale
   and every product's statistics carry its current version; then compares every
   product's and category's statistics with a from-scratch computation
   (``testkit.checks.statistics_errors``, which takes minutes at this size: not timed).

Prints the figures and the machine; exit status 0 only if every statistic is right.
"""

import argparse
import csv
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "test")
# The demo file of 100,000 products is about 80 MB: above the default upload limit.
os.environ.setdefault("CATALOG_IMPORT_MAX_BYTES", str(400 * 1024 * 1024))

if not os.environ.get("DATABASE_URL", "").startswith("mysql://") or not os.environ.get(
    "CELERY_BROKER_URL", ""
).startswith("amqp://"):
    sys.exit(
        "bench/import.py needs its own MariaDB database and RabbitMQ: "
        "DATABASE_URL=mysql://.../catalog_bench_import CELERY_BROKER_URL=amqp://.../bench "
        "(see the module docstring)"
    )

import django

django.setup()

import tablib
from django.core.files import File
from django.core.management import call_command
from django.db import connection

from bench.stats import _machine, _rabbitmq_version
from catalog.demo import catalog_seed, demo_product, demo_variants
from catalog.imports.errors import ErrorLog
from catalog.imports.files import read_rows
from catalog.imports.jobs import catalog_import_confirm, catalog_import_upload
from catalog.imports.layout import COLUMNS
from catalog.imports.limits import ImportLimits
from catalog.imports.rows import products_from_rows
from catalog.imports.services import catalog_import
from catalog.models import CatalogImport, Category, Variant
from catalog.selectors import category_slug_paths
from config.queues import QUEUE_CATALOG_IMPORTS, QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from testkit.catalog_reset import catalog_empty
from testkit.checks import statistics_current, statistics_errors
from testkit.import_baseline import RowByRowResource
from testkit.workers import LOG_DIR, WorkerProcess, purge_queue

OUT_DIR = ROOT / "var" / "bench-import"
QUEUES = (QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_CATALOG_IMPORTS)


def write_file(path: Path, products: int) -> int:
    """The demo catalog as an import file (the export's layout); returns its rows."""
    catalog_seed(products=0)  # the demo category tree only
    leaves = list(Category.objects.filter(parent__isnull=False))
    paths = category_slug_paths()
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number in range(1, products + 1):
            product = demo_product(number, leaves)
            category = paths[product.category_id] if product.category_id else ""
            head = [
                product.sku,
                product.name,
                product.slug,
                product.status,
                category,
                product.description,
                "",
            ]
            for variant in demo_variants(number, 0):
                writer.writerow(
                    [
                        *head,
                        variant.sku,
                        variant.size,
                        variant.colour,
                        variant.price,
                        variant.currency,
                        variant.stock,
                    ]
                )
                rows += 1
    return rows


def _head(path: Path, target: Path, rows: int) -> Path:
    """The first ``rows`` rows of the file (after the header), cut at a product's end."""
    with path.open(encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        reader = csv.reader(source)
        writer = csv.writer(out)
        writer.writerow(next(reader))
        last_sku, written = None, 0
        for row in reader:
            if written >= rows and row[0] != last_sku:
                break
            writer.writerow(row)
            last_sku, written = row[0], written + 1
    return target


def bench_baseline(path: Path, rows: int) -> dict[str, float]:
    subset = _head(path, OUT_DIR / f"baseline-{rows}.csv", rows)
    dataset = tablib.Dataset().load(subset.read_text(encoding="utf-8"), format="csv")
    started = time.monotonic()
    result = RowByRowResource().import_data(dataset, dry_run=False, raise_errors=True)
    baseline_s = time.monotonic() - started
    if result.has_errors() or Variant.objects.count() != len(dataset):
        raise RuntimeError(f"baseline import went wrong: {Variant.objects.count()} variants")
    catalog_empty()
    for queue in QUEUES:
        purge_queue(queue)
    started = time.monotonic()
    report = catalog_import(path=subset)
    ours_s = time.monotonic() - started
    if not report.applied or Variant.objects.count() != len(dataset):
        raise RuntimeError(f"our import of the subset went wrong: {report.summary()}")
    catalog_empty()
    for queue in QUEUES:
        purge_queue(queue)
    return {
        "rows": len(dataset),
        "baseline_rows_s": len(dataset) / baseline_s,
        "ours_rows_s": len(dataset) / ours_s,
    }


def bench_check(products: int, repeat: int = 5) -> int:
    """Time reading and checking every row of the file (``products_from_rows``), in-process.

    The part of an import where each cell meets the models' rules; the median of
    ``repeat`` runs, the catalog untouched (only the demo category tree is written).
    """
    call_command("migrate", verbosity=0)
    path = OUT_DIR / f"catalog-{products}.csv"
    rows = write_file(path, products)
    limits = ImportLimits.from_settings()
    category_ids = {p: pk for pk, p in category_slug_paths().items()}
    times = []
    for _ in range(repeat):
        errors = ErrorLog(keep_per_kind=20, stop_after=1000)
        started = time.monotonic()
        read = products_from_rows(
            read_rows(path, name=path.name, limits=limits),
            category_ids=category_ids,
            name=path.name,
            errors=errors,
        )
        times.append(time.monotonic() - started)
        if errors.total or len(read.products) != products:
            raise RuntimeError(f"the demo file has errors: {errors.sorted()[:3]}")
    median = sorted(times)[len(times) // 2]
    print(f"machine: {_machine()}; {datetime.now().astimezone():%Y-%m-%d %H:%M %z}")
    print(
        f"read and check {rows:,} rows ({products:,} products): median of {repeat} "
        f"{median:.3f} s, {rows / median:,.0f} rows/s"
    )
    return 0


def _wait_status(job: CatalogImport, leaving: str, timeout: float) -> float:
    """Seconds until the import leaves ``leaving``; prints the progress as it goes."""
    started = time.monotonic()
    last = ""
    while time.monotonic() - started < timeout:
        job.refresh_from_db()
        if job.status != leaving:
            print(flush=True)
            return time.monotonic() - started
        shown = f"  {job.stage or job.status} {job.done:,}/{job.total:,}"
        if shown != last:
            print(f"\r{shown}   ", end="", flush=True)
            last = shown
        time.sleep(0.2)
    raise TimeoutError(f"import {job.pk} still {leaving} after {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description="Import benchmark (see module docstring).")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=3_000)
    parser.add_argument("--stats-timeout", type=float, default=900, help="seconds")
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="only time reading and checking the file's rows in-process (no write, no worker)",
    )
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if args.check_only:
        return bench_check(args.products)

    call_command("migrate", verbosity=0)
    catalog_empty()
    for queue in QUEUES:
        purge_queue(queue)
    path = OUT_DIR / f"catalog-{args.products}.csv"
    rows = write_file(path, args.products)
    print(
        f"file: {args.products:,} products, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB; "
        f"MariaDB {connection.mysql_server_info}, RabbitMQ {_rabbitmq_version()}",
        flush=True,
    )
    print(f"machine: {_machine()}; {datetime.now().astimezone():%Y-%m-%d %H:%M %z}", flush=True)

    base = bench_baseline(path, args.baseline_rows)
    print(
        f"baseline: {base['rows']:,} rows row by row at {base['baseline_rows_s']:,.0f} rows/s; "
        f"the same rows through our import at {base['ours_rows_s']:,.0f} rows/s",
        flush=True,
    )

    workers = [
        WorkerProcess(queues=[QUEUE_STATS_BATCH]),
        WorkerProcess(queues=[QUEUE_STATS_BULK]),
        WorkerProcess(queues=[QUEUE_CATALOG_IMPORTS], extra_args=["--max-tasks-per-child", "1"]),
    ]
    beat_log = (LOG_DIR / "bench-import-beat.log").open("ab")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
         "-s", str(OUT_DIR / "celerybeat-schedule")],
        cwd=ROOT, stdout=beat_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for worker in workers:
            worker.start()
        with path.open("rb") as handle:
            job = catalog_import_upload(upload=File(handle, name=path.name), user=None)
        print("dry run:", flush=True)
        dry_run_s = _wait_status(job, CatalogImport.Status.CHECKING, timeout=1800)
        if job.status != CatalogImport.Status.PREVIEWED:
            raise RuntimeError(f"dry run: {job.status} {job.report or job.error}")
        catalog_import_confirm(import_id=job.pk)
        print("import:", flush=True)
        import_s = _wait_status(job, CatalogImport.Status.IMPORTING, timeout=1800)
        ended = time.monotonic()
        if job.status != CatalogImport.Status.DONE:
            raise RuntimeError(f"import: {job.status} {job.report or job.error}")
        while not statistics_current():
            if time.monotonic() - ended > args.stats_timeout:
                raise TimeoutError(f"statistics not current {args.stats_timeout:.0f} s after")
            time.sleep(1)
        stats_s = time.monotonic() - ended
    finally:
        for worker in workers:
            worker.stop()
        beat.terminate()
        beat.wait(30)
    print("checking every statistic against a from-scratch computation...", flush=True)
    started = time.monotonic()
    errors = statistics_errors()
    check_s = time.monotonic() - started
    rows_s = rows / import_s
    baseline = base["baseline_rows_s"]
    table = [
        ("Dry run in the import worker", f"{dry_run_s:.1f} s ({rows / dry_run_s:,.0f} rows/s)"),
        (
            "Import in the import worker, confirmation to done",
            f"{import_s:.1f} s: **{rows_s:,.0f} rows/s**, {rows_s / baseline:.0f}x the baseline",
        ),
        (
            f"Baseline: django-import-export row by row, the first {base['rows']:,} rows",
            f"{baseline:,.0f} rows/s",
        ),
        (
            f"Our import of the same {base['rows']:,} rows, in-process",
            f"{base['ours_rows_s']:,.0f} rows/s, {base['ours_rows_s'] / baseline:.0f}x",
        ),
        ("Import's end to every statistic current", f"**{stats_s:.1f} s**"),
        (
            "Statistics differing from a from-scratch computation",
            f"{len(errors)} (checked in {check_s:.0f} s)",
        ),
    ]
    print("\n| What | Measured |\n| --- | --- |")
    for what, measured in table:
        print(f"| {what} | {measured} |")
    for error in errors[:10]:
        print("  ", error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
