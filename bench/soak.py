"""Soak: editors save for minutes while a bulk run proceeds and RabbitMQ restarts once.

Why: the reliability promise is that an editor's save never fails and the statistics
always catch up, whatever the broker and the workers do meanwhile. The unit and worker
tests check each failure alone, in seconds; this drives the whole deployment (the
production web server, a batch worker, a bulk worker, RabbitMQ, MariaDB) for minutes,
with everything at once, and checks the end state against a from-scratch computation.

Needs MariaDB and RabbitMQ, a database of its own and, best, a RabbitMQ vhost of its own
(the soak purges ``stats.batch`` and ``stats.bulk`` of its vhost at start and end):

    mariadb -uroot -h127.0.0.1 -e \\
        'CREATE DATABASE IF NOT EXISTS catalog_soak CHARACTER SET utf8mb4'
    rabbitmqctl add_vhost soak && rabbitmqctl set_permissions -p soak guest '.*' '.*' '.*'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_soak \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/soak \\
        .venv/bin/python bench/soak.py [--duration 180] [--editors 10] [--no-broker-restart]

The broker restart (``rabbitmqctl stop_app``, 5 s, ``start_app``, ``await_startup``;
run as a user allowed to call ``rabbitmqctl``) stops the **whole RabbitMQ node**, every
vhost included: pass ``--no-broker-restart`` while anybody else uses that RabbitMQ.

What it does, every step bounded:

1. Migrates, seeds the catalog up to ``--catalog`` products, creates one editor account
   per editor with a product of its own (as ``bench/save_latency.py`` does, whose code
   it reuses), and brings every statistic up to date, so the soak starts clean.
2. Starts gunicorn in production mode (as ``bench/save_latency.py`` does; 2 workers x 4
   threads as in the Procfile), a batch worker (``-Q stats.batch -c 1``) and a bulk
   worker (``-Q stats.bulk -c 1``), as in the Procfile. Short intervals make a few
   minutes count, through the environment of every process (override them there):
   ``STATS_BATCH_FLUSH_INTERVAL=5``, ``STATS_STALE_MARGIN=5``, ``STATS_BULK_RATE_LIMIT=60/m``.
3. Starts a whole-catalog bulk run (``stats.bulk.bulk_run_start``, as
   ``recompute_stats --all`` does), in chunks sized so that at the rate limit it takes
   about two thirds of ``--duration``: it runs across the broker restart.
4. ``--editors`` editors log in over HTTP and save their product (change form GET, then
   POST of the product and its three variant inlines) in a loop, pausing 0.5-1.5 x
   ``--think`` seconds between saves, for ``--duration`` seconds.
5. At a third of the duration, restarts RabbitMQ once (unless ``--no-broker-restart``).
   Saves during the outage must still succeed: the app logs a publish error, the save's
   stale mark has committed, and the backstop sweep catches up. (An editor's next save
   after the outage re-queues the same product, so the sweep has work only for products
   whose last save fell in the outage: "stale after the last flush" shows how many.)
6. After the duration: waits until the batch worker has flushed everything, sends the
   backstop sweep (``stats.stale_sweep``, as beat would) until no product is stale (at
   most 120 s), refreshes the marked categories (as beat's category refresh would), and
   compares every product's and category's statistics with a from-scratch computation.
   No beat process runs: the soak plays its part at the end, so the result does not
   depend on where the sweep interval falls.

It prints one table: saves done and failed (anything but a 302 to the change list, and
errors), POST latency p50/p95, publish errors in the web server's log, batch flushes,
stale products after the last flush and at the end, statistics mismatches, the bulk run's
status and chunks, the broker restart's duration and how long the workers took to
reconnect, the monitoring status (``stats.probes``) at the end, and the resident memory
(VmRSS) of each worker's main process and pool processes at start and end. Logs: the
web server's in ``var/soak/gunicorn.log``, the workers' in ``var/test-workers/``. With
``RABBITMQ_MANAGEMENT_URL`` set, set ``RABBITMQ_VHOST`` to the soak's vhost as well.

Exit status 0 only when no save failed, no product is stale at the end, no statistic
differs, both workers are still running and the broker restart (if asked for) went
through; 1 otherwise, with the reasons on one line. gunicorn and the workers are stopped
at the end, also on Ctrl-C or an error; a bulk run still going is cancelled.
"""

import argparse
import math
import os
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "test")
#: Read by this process, gunicorn and the workers alike (they inherit the environment).
SOAK_SETTINGS = {
    "STATS_BATCH_FLUSH_INTERVAL": "5",
    "STATS_STALE_MARGIN": "5",
    "STATS_BULK_RATE_LIMIT": "60/m",
}
for _name, _value in SOAK_SETTINGS.items():
    os.environ.setdefault(_name, _value)

if not os.environ.get("DATABASE_URL", "").startswith("mysql://") or not os.environ.get(
    "CELERY_BROKER_URL", ""
).startswith("amqp://"):
    sys.exit(
        "bench/soak.py needs its own MariaDB database and RabbitMQ: "
        "DATABASE_URL=mysql://.../catalog_soak CELERY_BROKER_URL=amqp://.../soak "
        "(see the module docstring)"
    )

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench.save_latency import (
    Browser,
    Gunicorn,
    _collectstatic,
    _editor_accounts,
    _run_level,
    _server_env,
)
from catalog.demo import catalog_seed
from catalog.models import Product
from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from stats.batch.tasks import stale_sweep
from stats.bulk.selectors import seconds_per_task
from stats.bulk.services import bulk_run_cancel, bulk_run_start
from stats.bulk.tasks import publish_bulk_chunks
from stats.models import BatchFlush, BulkRun, ProductStaleness
from stats.monitoring.probes import batch_buffers, take_snapshot
from stats.recompute.categories import category_stats_refresh_stale
from stats.recompute.sweep import product_stats_sweep_stale
from testkit.checks import statistics_errors
from testkit.workers import WorkerProcess, purge_queue, queue_counts

#: Static files and the web server's log; not bench/save_latency.py's, which may be running.
VAR_DIR = ROOT / "var" / "soak"
#: gunicorn as in the Procfile.
WEB_WORKERS, WEB_THREADS = 2, 4
BROKER_OUTAGE = 5.0  # seconds between stop_app and start_app
RECONNECT_TIMEOUT = 120.0  # for the workers to consume again after the restart
SWEEP_TIMEOUT = 120.0  # for the backstop to leave no product stale
#: The one line config.outbox logs per save whose requests could not be sent.
_PUBLISH_ERROR = re.compile(r"Could not queue \S+ statistics requests?;")


# --- Worker memory --------------------------------------------------------------------------


def _rss_kb(pid: int) -> int:
    """VmRSS of a process in kB (0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{pid}$", status, re.MULTILINE):
            children.append(int(entry.name))
    return children


def worker_memory(worker: WorkerProcess) -> dict[str, int]:
    """RSS in kB of the worker's main process and of its pool processes (summed)."""
    pid = worker.process.pid
    children = _children(pid)
    return {
        "main": _rss_kb(pid),
        "pool": sum(_rss_kb(child) for child in children),
        "pool_processes": len(children),
    }


# --- The broker restart ---------------------------------------------------------------------


def _rabbitmqctl(*args: str) -> None:
    try:
        subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        raise RuntimeError(
            f"rabbitmqctl {' '.join(args)}: {detail[-1] if detail else exc}"
        ) from None


def _consumers_on(queues: list[str]) -> bool:
    try:
        return all(queue_counts(name)[1] >= 1 for name in queues)
    except Exception:  # the broker is not answering yet
        return False


class BrokerRestart(threading.Thread):
    """After ``delay`` seconds: stop RabbitMQ's app, wait, start it, wait for the workers.

    ``start_app`` runs whatever happened after ``stop_app`` (also when ``cancel`` is set
    by Ctrl-C), so the broker is never left stopped.
    """

    def __init__(self, delay: float):
        super().__init__(daemon=True)
        self.delay = delay
        self.cancel = threading.Event()
        self.began: float | None = None
        self.seconds: float | None = None  # stop_app until await_startup returned
        self.reconnect_seconds: float | None = None  # then until both queues had consumers
        self.error = ""

    def run(self) -> None:
        if self.cancel.wait(self.delay):
            return
        self.began = time.monotonic()
        print(f"restarting RabbitMQ (stop_app, {BROKER_OUTAGE:g} s, start_app)...", flush=True)
        try:
            _rabbitmqctl("stop_app")
            self.cancel.wait(BROKER_OUTAGE)
        except Exception as exc:
            self.error = str(exc)
        finally:
            try:
                _rabbitmqctl("start_app")
                _rabbitmqctl("await_startup")
                self.seconds = time.monotonic() - self.began
            except Exception as exc:
                self.error = self.error or str(exc)
        if self.seconds is None:
            return
        up = time.monotonic()
        while time.monotonic() - up < RECONNECT_TIMEOUT and not self.cancel.is_set():
            if _consumers_on([QUEUE_STATS_BATCH, QUEUE_STATS_BULK]):
                self.reconnect_seconds = time.monotonic() - up
                return
            time.sleep(0.5)

    def summary(self) -> str:
        if self.began is None:
            return "not reached"
        if self.error:
            return f"FAILED: {self.error}"
        back = (
            f"workers consuming again {self.reconnect_seconds:.1f} s later"
            if self.reconnect_seconds is not None
            else f"workers NOT consuming again after {RECONNECT_TIMEOUT:g} s"
        )
        return f"{self.seconds:.1f} s (stop_app to await_startup), {back}"


# --- Setup and the end ---------------------------------------------------------------------


def _bring_statistics_up_to_date() -> None:
    """Recompute every stale product (the seed marks all) and every category."""
    while ProductStaleness.objects.exists():
        before = ProductStaleness.objects.count()
        # timedelta(0) would mean "the default age"; a microsecond takes every mark.
        product_stats_sweep_stale(older_than=timedelta(microseconds=1), max_chunks=100)
        if ProductStaleness.objects.count() >= before:
            raise RuntimeError(f"{before} products stay stale before the soak: see the logs")


def _wait_for_flush(timeout: float) -> bool:
    """True once stats.batch holds no ready message and no worker buffers a request."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ready = queue_counts(QUEUE_STATS_BATCH)[0]
        except Exception:
            ready = None
        buffers = batch_buffers()
        if ready == 0 and buffers and not any(b.buffered for b in buffers):
            time.sleep(1)  # the last batch handed to the pool takes milliseconds
            return True
        time.sleep(1)
    return False


def _sweep_until_nothing_stale(timeout: float) -> int:
    """Send the backstop sweep, as beat would, until no product is stale; sweeps sent."""
    every = settings.STATS_BATCH_FLUSH_INTERVAL + settings.STATS_STALE_MARGIN
    deadline = time.monotonic() + timeout
    sent, next_sweep = 0, 0.0
    while ProductStaleness.objects.exists() and time.monotonic() < deadline:
        if time.monotonic() >= next_sweep:
            try:
                stale_sweep.delay()
                sent += 1
            except Exception as exc:  # the broker may still be coming back
                print(f"sweep not sent: {type(exc).__name__}: {exc}", flush=True)
            next_sweep = time.monotonic() + every
        time.sleep(1)
    return sent


def _start_bulk_run(products: int, duration: float, chunk_size: int | None) -> BulkRun:
    if chunk_size is None:
        chunks = max(1, int(duration * 2 / 3 / seconds_per_task(settings.STATS_BULK_RATE_LIMIT)))
        chunk_size = max(1, math.ceil(products / chunks))
    run = bulk_run_start(
        trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.ALL, chunk_size=chunk_size
    )
    publish_bulk_chunks(run_id=run.pk)
    return run


def _cancel_active_runs() -> None:
    for run_id in BulkRun.objects.filter(status__in=BulkRun.ACTIVE).values_list("id", flat=True):
        bulk_run_cancel(run_id=run_id)


def _publish_errors(log: Path) -> int:
    if not log.exists():
        return 0
    return len(_PUBLISH_ERROR.findall(log.read_text(errors="replace")))


# --- The report ---------------------------------------------------------------------------


def _mb(kb: int) -> str:
    return f"{kb / 1024:.1f} MB"


def _print_report(rows: list[tuple[str, str]], memory: list[tuple[str, str, str]]) -> None:
    width = max(len(label) for label, _ in rows + [(m[0], "") for m in memory]) + 2
    print()
    for label, value in rows:
        print(f"{label:<{width}}{value}")
    print(f"\n{'worker memory (VmRSS)':<{width}}{'start':>10} {'end':>10}")
    for label, start, end in memory:
        print(f"{label:<{width}}{start:>10} {end:>10}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=int, default=2000, help="products in the catalog")
    parser.add_argument("--editors", type=int, default=10, help="concurrent editors")
    parser.add_argument("--duration", type=float, default=180, help="seconds of saving")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between two saves")
    parser.add_argument(
        "--bulk-chunk-size",
        type=int,
        default=None,
        help="products per bulk chunk (default: the run takes about 2/3 of --duration)",
    )
    parser.add_argument(
        "--broker-restart",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="restart RabbitMQ (the whole node) once, at a third of the duration",
    )
    args = parser.parse_args()

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    if Product.objects.count() < args.catalog:
        print(f"seeding {args.catalog:,} products...", flush=True)
        catalog_seed(products=args.catalog)
    accounts = _editor_accounts(args.editors)
    print("bringing the statistics up to date before the soak...", flush=True)
    _bring_statistics_up_to_date()
    env = {**_server_env(), "CATALOG_VAR_DIR": str(VAR_DIR)}
    print("collecting static files (production storage)...", flush=True)
    _collectstatic(env)
    products = Product.objects.count()
    restart_at = f"at {args.duration / 3:.0f} s" if args.broker_restart else "no"
    print(
        f"soak: {args.duration:g} s, {args.editors} editors (think {args.think:g} s), "
        f"{products:,} products, gunicorn {WEB_WORKERS}x{WEB_THREADS}, "
        f"broker restart: {restart_at}; "
        + ", ".join(f"{name}={os.environ[name]}" for name in SOAK_SETTINGS),
        flush=True,
    )

    _cancel_active_runs()  # an interrupted earlier soak may have left one
    purge_queue(QUEUE_STATS_BATCH)
    purge_queue(QUEUE_STATS_BULK)
    batch_worker = WorkerProcess(queues=[QUEUE_STATS_BATCH])
    bulk_worker = WorkerProcess(queues=[QUEUE_STATS_BULK])
    restart = BrokerRestart(args.duration / 3) if args.broker_restart else None
    run = None
    try:
        batch_worker.start()
        bulk_worker.start()
        server = Gunicorn(workers=WEB_WORKERS, threads=WEB_THREADS, env=env)
        server.log = VAR_DIR / "gunicorn.log"
        with server:
            browsers = [Browser(server.port) for _ in accounts]
            for browser, account in zip(browsers, accounts, strict=True):
                browser.login(account.username, account.password)
            run = _start_bulk_run(products, args.duration, args.bulk_chunk_size)
            print(
                f"bulk run {run.pk}: {run.chunks_total} chunks of up to {run.chunk_size} "
                f"at {run.rate_limit}; workers' logs in {batch_worker.logfile.parent}",
                flush=True,
            )
            memory_start = [worker_memory(batch_worker), worker_memory(bulk_worker)]
            flushes_before = BatchFlush.objects.count()
            connection.close()  # would idle during the level
            if restart:
                restart.start()
            print(f"{args.editors} editors saving for {args.duration:g} s...", flush=True)
            level = _run_level(
                browsers,
                accounts,
                editors=args.editors,
                duration=args.duration,
                max_saves=sys.maxsize,
                think=args.think,
                first_round=int(time.time()),
            )
            if restart:  # not before it is over: the checks below need the broker
                restart.join(BROKER_OUTAGE + 3 * 120 + RECONNECT_TIMEOUT)
        publish_errors = _publish_errors(server.log)

        print("waiting for the batch worker to flush...", flush=True)
        flushed = _wait_for_flush(3 * settings.STATS_BATCH_FLUSH_INTERVAL + 30)
        stale_after_flush = ProductStaleness.objects.count()
        print("backstop sweep...", flush=True)
        sweeps = _sweep_until_nothing_stale(SWEEP_TIMEOUT)
        stale_end = ProductStaleness.objects.count()
        category_stats_refresh_stale()  # what beat's category refresh would have done
        print("comparing every statistic with a from-scratch computation...", flush=True)
        mismatches = statistics_errors()
        memory_end = [worker_memory(batch_worker), worker_memory(bulk_worker)]
        run.refresh_from_db()
        snapshot = take_snapshot()
        alive = {
            "batch": batch_worker.process.poll() is None,
            "bulk": bulk_worker.process.poll() is None,
        }
    finally:
        if restart and restart.is_alive():  # Ctrl-C or an error: leave RabbitMQ running
            restart.cancel.set()
            restart.join(3 * 120)
        if run is not None and BulkRun.objects.filter(pk=run.pk, status__in=BulkRun.ACTIVE):
            bulk_run_cancel(run_id=run.pk)
        batch_worker.stop()
        bulk_worker.stop()
        purge_queue(QUEUE_STATS_BATCH)
        purge_queue(QUEUE_STATS_BULK)

    not_ok = [f"{c.name}: {c.status} ({c.message})" for c in snapshot.checks if c.status != "ok"]
    rows = [
        ("saves done", f"{level['saved']}"),
        ("saves failed", f"{level['failed']}"),
        ("save POST p50 / p95", f"{level['p50']:.0f} / {level['p95']:.0f} ms"),
        ("change form GET p50 / p95", f"{level['get_p50']:.0f} / {level['get_p95']:.0f} ms"),
        ("admin log entries", f"{level['logged']}"),
        ("publish errors in the web log", f"{publish_errors} ({server.log})"),
        ("batch flushes", f"{BatchFlush.objects.count() - flushes_before}"),
        (
            "stale after the last flush",
            f"{stale_after_flush}" + ("" if flushed else " (timed out)"),
        ),
        ("backstop sweeps sent", f"{sweeps}"),
        ("stale products at the end", f"{stale_end}"),
        ("statistics mismatches", f"{len(mismatches)}"),
        (
            f"bulk run {run.pk}",
            f"{run.get_status_display().lower()}: {run.chunks_done}/{run.chunks_total} chunks "
            f"done, {run.chunks_failed} failed",
        ),
        ("broker restart", restart.summary() if restart else "skipped"),
        ("ops status at the end", snapshot.status + "".join(f"; {c}" for c in not_ok)),
    ]
    memory = []
    for name, worker, start, end in zip(
        ("batch", "bulk"), (batch_worker, bulk_worker), memory_start, memory_end, strict=True
    ):
        state = "" if alive[name] else ", EXITED"
        main_label = f"{name} worker main (pid {worker.process.pid}{state})"
        processes = f"{start['pool_processes']} -> {end['pool_processes']}"
        pool_label = f"{name} worker pool ({processes} processes)"
        memory.append((main_label, _mb(start["main"]), _mb(end["main"])))
        memory.append((pool_label, _mb(start["pool"]), _mb(end["pool"])))
    _print_report(rows, memory)
    for error in level["errors"] + mismatches[:3]:
        print(f"  ! {error}")

    reasons = []
    if level["failed"]:
        reasons.append(f"{level['failed']} saves failed")
    if stale_end:
        reasons.append(f"{stale_end} products still stale after {SWEEP_TIMEOUT:g} s of sweeps")
    if mismatches:
        reasons.append(f"{len(mismatches)} statistics differ from a from-scratch computation")
    reasons += [f"the {name} worker exited" for name, up in alive.items() if not up]
    if restart and (restart.error or restart.seconds is None):
        reasons.append(f"the broker restart did not go through ({restart.summary()})")
    if reasons:
        print("\nFAIL: " + "; ".join(reasons))
        return 1
    print("\nPASS: no failed save, nothing stale, every statistic correct")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted; gunicorn and the workers were stopped")
