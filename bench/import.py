"""Import benchmark: 100,000 products (about 300,000 variant rows), or ``--rows 1000000``,
into an empty catalog.

Why: an import is thousands of saves at once. It must be fast (issue #27: 10,000 rows/s at
1,000,000 rows, memory flat; 10 times django-import-export's default row-by-row import)
and it must go through the save path, so that the batch worker brings every imported
product's statistics up to date within minutes (target: 3 minutes after the import's end).

Needs MariaDB and RabbitMQ, a
database of its own (emptied at start: every product, variant, history record and
statistic in it is deleted) and, best, a vhost of its own (its queues are purged):

    mariadb -uroot -h127.0.0.1 -e \\
        'CREATE DATABASE IF NOT EXISTS catalog_bench_import CHARACTER SET utf8mb4'
    rabbitmqctl add_vhost bench && rabbitmqctl set_permissions -p bench guest '.*' '.*' '.*'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench_import \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench RABBITMQ_VHOST=bench \\
        .venv/bin/python bench/import.py [--products 100000 | --rows 1000000] [--baseline-rows 3000]

What it does, in one run:

1. Migrates, empties the catalog (keeping the demo category tree) and writes the file:
   ``--products`` demo products (the seed's names, descriptions, categories, 1-5
   variants each), or as many as ``--rows`` rows take, in the export's CSV layout, in
   ``var/bench-import/``.
2. **Baseline**: the file's first ``--baseline-rows`` rows through django-import-export's
   default row-by-row import (``testkit.import_baseline.RowByRowResource``: one
   ``save()`` per row, each with its version bump, history record and statistics
   request), in this process, into the empty catalog, with no worker running. The same
   rows then go through our import (``catalog_import``, in-process) into an emptied
   catalog: the same work, row for row. The catalog is emptied again.
3. Starts the Procfile's workers and beat (batch, bulk and import workers), with their
   default settings.
4. **The import**, as an editor's would run: the file is uploaded, its dry run and then
   the confirmed import run in the import worker. Rows/s is the file's rows over the time
   from the confirmation until the import's page says "Imported" (the commit and the
   publication of the statistics requests included). The import worker's pool process
   is watched throughout (``bench.procwatch``): its CPU time and peak RSS, beside
   mariadbd's CPU time, say where the time went and whether memory stays flat.
5. **Statistics**: from the import's end, polls until nothing is stale and every
   product's statistics carry its current version; sums the batch worker's flushes since
   the dry run (requests received, 500 product ids a message, against distinct products
   and recomputes: the de-duplication, visible); then compares statistics
   with a from-scratch computation (``testkit.checks.statistics_errors``, untimed: every
   product up to ``SAMPLE_ABOVE`` products, a random sample above, as it says).

Prints the figures and the machine; exit status 0 only if every statistic checked is right.
"""

import argparse
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
# As deployed (production refuses DEBUG): with DEBUG on, Django keeps the SQL of the last
# 9,000 queries of each process (an import's run to hundreds of MB) and formats each one.
# The workers started here inherit it.
os.environ.setdefault("DEBUG", "0")

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
from django.db.models import Count, Max, Sum

from bench.import_file import OUT_DIR, bench_check, head, write_file
from bench.procwatch import TreeWatch, Usage, cpu_seconds, pid_of
from bench.stats import _machine, _rabbitmq_version
from catalog.imports.jobs import catalog_import_confirm, catalog_import_upload
from catalog.imports.services import catalog_import
from catalog.models import CatalogImport, Variant
from config.queues import QUEUE_CATALOG_IMPORTS, QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from stats.records.models import BatchFlush
from testkit.catalog_reset import catalog_empty
from testkit.checks import statistics_current, statistics_errors
from testkit.import_baseline import RowByRowResource
from testkit.workers import LOG_DIR, WorkerProcess, purge_queue

QUEUES = (QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_CATALOG_IMPORTS)
#: The issue's goal for an import (#27), in rows a second.
GOAL = 10_000
#: Above this many products the statistics are checked on a sample (every product's
#: from-scratch computation takes about 2 ms: 10 minutes at 333,000 products).
SAMPLE_ABOVE = 110_000
SAMPLE = 5_000


def bench_baseline(path: Path, rows: int) -> dict[str, float]:
    subset = head(path, OUT_DIR / f"baseline-{rows}.csv", rows)
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


def _flushes(after: int) -> tuple[int, dict[str, int]]:
    """The batch worker's flushes recorded after id ``after``: the last id, and their count
    with the requests (product ids) they received, distinct products and recomputes."""
    rows = BatchFlush.objects.filter(pk__gt=after)
    sums = rows.aggregate(
        flushes=Count("pk"), requests=Sum("requests"), products=Sum("products"),
        computed=Sum("computed"), last=Max("pk"),
    )  # fmt: skip
    return sums.pop("last") or after, {k: v or 0 for k, v in sums.items()}


def _usage(usage: Usage, seconds: float, mariadb_s: float | None) -> str:
    """The phase's time in the worker's process: on a CPU, waiting for one, and blocked
    (the rest: waiting on MariaDB, or the broker), with mariadbd's CPU time beside."""
    blocked = seconds - usage.cpu_s - usage.cpu_wait_s
    server = "" if mariadb_s is None else f"; mariadbd {mariadb_s:.1f} s CPU (all its clients)"
    return (
        f"{usage.cpu_s:.1f} s on a CPU, {usage.cpu_wait_s:.1f} s waiting for one, "
        f"{blocked:.1f} s blocked; peak RSS **{usage.peak_rss_mb:,.0f} MB**{server}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Import benchmark (see module docstring).")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument(
        "--rows", type=int, default=0, help="a file of exactly this many rows (for 1,000,000)"
    )
    parser.add_argument("--baseline-rows", type=int, default=3_000)
    parser.add_argument("--stats-timeout", type=float, default=900, help="seconds")
    parser.add_argument(
        "--stats-sample",
        type=int,
        default=None,
        help="products whose statistics are checked from scratch (default: every one up to "
        f"{SAMPLE_ABOVE:,} products, else a random {SAMPLE:,}); 0: no check",
    )
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
    path = OUT_DIR / (f"rows-{args.rows}.csv" if args.rows else f"catalog-{args.products}.csv")
    products, rows = write_file(path, args.products, args.rows)
    print(
        f"file: {products:,} products, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB; "
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

    import_worker = WorkerProcess(
        queues=[QUEUE_CATALOG_IMPORTS], extra_args=["--max-tasks-per-child", "1"]
    )
    workers = [
        WorkerProcess(queues=[QUEUE_STATS_BATCH]),
        WorkerProcess(queues=[QUEUE_STATS_BULK]),
        import_worker,
    ]
    beat_log = (LOG_DIR / "bench-import-beat.log").open("ab")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
         "-s", str(OUT_DIR / "celerybeat-schedule")],
        cwd=ROOT, stdout=beat_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    mariadb = pid_of("mariadbd")
    watch: TreeWatch | None = None
    try:
        for worker in workers:
            worker.start()
        assert import_worker.process is not None
        watch = TreeWatch(import_worker.process.pid)
        watch.start()
        last_flush, _ = _flushes(0)
        watch.start_phase()
        server_before = cpu_seconds(mariadb) if mariadb else None
        with path.open("rb") as handle:
            job = catalog_import_upload(upload=File(handle, name=path.name), user=None)
        print("dry run:", flush=True)
        dry_run_s = _wait_status(job, CatalogImport.Status.CHECKING, timeout=3600)
        if job.status != CatalogImport.Status.PREVIEWED:
            raise RuntimeError(f"dry run: {job.status} {job.report or job.error}")
        dry_usage, dry_server = watch.phase(), _since(mariadb, server_before)
        watch.start_phase()
        server_before = cpu_seconds(mariadb) if mariadb else None
        load_before = os.getloadavg()
        catalog_import_confirm(import_id=job.pk)
        print("import:", flush=True)
        import_s = _wait_status(job, CatalogImport.Status.IMPORTING, timeout=3600)
        ended = time.monotonic()
        load_after = os.getloadavg()
        usage, server = watch.phase(), _since(mariadb, server_before)
        if job.status != CatalogImport.Status.DONE:
            raise RuntimeError(f"import: {job.status} {job.report or job.error}")
        while not statistics_current():
            if time.monotonic() - ended > args.stats_timeout:
                raise TimeoutError(f"statistics not current {args.stats_timeout:.0f} s after")
            time.sleep(1)
        stats_s = time.monotonic() - ended
        _, flushed = _flushes(last_flush)
    finally:
        if watch is not None:
            watch.stop()
        for worker in workers:
            worker.stop()
        beat.terminate()
        beat.wait(30)
    sample = args.stats_sample
    if sample is None:
        sample = 0 if products <= SAMPLE_ABOVE else SAMPLE
    sample_text = "every product" if sample == 0 else f"a random sample of {sample:,} products"
    rows_s = rows / import_s
    baseline = base["baseline_rows_s"]
    requests = (
        f"{flushed['requests']:,} requests (product ids, 500 a message) for {products:,} "
        f"products, in {flushed['flushes']:,} flushes: {flushed['products']:,} distinct "
        f"products a flush summed, {flushed['computed']:,} recomputed"
    )
    table = [
        ("Dry run in the import worker", f"{dry_run_s:.1f} s ({rows / dry_run_s:,.0f} rows/s)"),
        (
            "Import in the import worker, confirmation to done",
            f"{import_s:.1f} s: **{rows_s:,.0f} rows/s** (goal 10,000: {rows_s / GOAL:.2f}x), "
            f"{rows_s / baseline:.0f}x the baseline",
        ),
        ("Import worker's process, dry run", _usage(dry_usage, dry_run_s, dry_server)),
        ("Import worker's process, import", _usage(usage, import_s, server)),
        (
            "The import less the worker's waits for a CPU (other processes' load)",
            f"{rows / (import_s - usage.cpu_wait_s):,.0f} rows/s: a row "
            f"{usage.cpu_s / rows * 1e6:.0f} us on the worker's CPU, "
            f"{(import_s - usage.cpu_s - usage.cpu_wait_s) / rows * 1e6:.0f} us blocked",
        ),
        (
            "Load average (1 min) at the import's start and end",
            f"{load_before[0]:.1f}, {load_after[0]:.1f}",
        ),
        (
            f"Baseline: django-import-export row by row, the first {base['rows']:,} rows",
            f"{baseline:,.0f} rows/s",
        ),
        (
            f"Our import of the same {base['rows']:,} rows, in-process",
            f"{base['ours_rows_s']:,.0f} rows/s, {base['ours_rows_s'] / baseline:.0f}x",
        ),
        ("Statistics requests the batch worker received after the import", requests),
        ("Import's end to every statistic current", f"**{stats_s:.1f} s**"),
    ]
    # Printed before the check, which takes many minutes at a million rows.
    print("\n| What | Measured |\n| --- | --- |")
    for what, measured in table:
        print(f"| {what} | {measured} |", flush=True)
    if args.stats_sample == 0:
        print("| Statistics differing from a from-scratch computation | not checked |")
        return 0
    started = time.monotonic()
    errors = statistics_errors(sample=sample or None)
    print(
        f"| Statistics differing from a from-scratch computation | {len(errors)} ({sample_text} "
        f"and every category, in {time.monotonic() - started:.0f} s) |"
    )
    for error in errors[:10]:
        print("  ", error)
    return 1 if errors else 0


def _since(pid: int | None, before: float | None) -> float | None:
    now = cpu_seconds(pid) if pid else None
    return None if now is None or before is None else now - before


if __name__ == "__main__":
    sys.exit(main())
