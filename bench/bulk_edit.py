"""Bulk edit benchmark: 10,000 products, price +10%, applied by the Procfile's import worker.

Why: a bulk edit is thousands of editor saves at once, each under its row lock and version
check with its history record and statistics request. Targets (issue #25): the apply at
least 1,000 products/s and 20 times the same changes saved one by one through the admin's
change form, measured in the same run; every statistic equal to a from-scratch
computation within the flush interval plus 60 s of the job's end; an editor saving beside
the job keeps a save p95 within 2x of the idle figure; the preview of 10,000 products
under 5 s.

Needs MariaDB and RabbitMQ, a database of its own (emptied at start) and, best, a vhost
of its own (its queues are purged):

    mariadb -uroot -h127.0.0.1 -e \\
        'CREATE DATABASE IF NOT EXISTS catalog_bench_bulk_edit CHARACTER SET utf8mb4'
    rabbitmqctl add_vhost bench && rabbitmqctl set_permissions -p bench guest '.*' '.*' '.*'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench_bulk_edit \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench \\
        .venv/bin/python bench/bulk_edit.py [--products 10000] [--baseline 200]

What it does, in one run:

1. Migrates, empties the catalog, seeds ``--products`` demo products (1-5 variants each,
   the job's), ``--baseline`` more (the baseline's) and one for the editor, and computes
   every statistic, so the run starts current.
2. Starts the Procfile's workers and beat, their command lines read from the Procfile
   (``testkit.stack``), with their default settings (batch worker on
   ``stats.batch,stats.now``, bulk worker, import worker, beat).
3. **Baseline**: the ``--baseline`` products saved one by one through the admin's change
   form (Django's test client, in this process: each form opened, then its variants'
   prices +10% posted; only the POSTs are timed), as a rate in products/s. A sample,
   not 10,000: at about 15 saves/s the whole would take over ten minutes.
4. **Editor idle**: one editor saving its own product through the change form (opened,
   posted, 0.2 s apart; a first save to warm up, not counted) for ``--editor-saves``
   saves: the save p95 (POSTs only) with nothing else running.
5. **Preview** of the ``--products`` products (``bulk_edit_preview``, in this process),
   and the admin's preview page of every product ("Edit all", price +10%: the GET of the
   page that selects, previews and shows the first 50).
6. **Apply**: the job recorded (``bulk_edit_create``) and run by the import worker; the
   rate is its products over the time from the commit until the job is done (the
   worker's own start-to-end time is printed too). The editor keeps saving meanwhile, in
   a thread: the save p95 beside the job.
7. **Statistics**: from the job's end, polls until nothing is stale and every product's
   statistics carry its current version, then compares every statistic with a
   from-scratch computation (``testkit.checks.statistics_errors``; not timed).

Prints the figures and the machine; exit status 0 only if every statistic is right.
"""

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import setup_django_on_services

setup_django_on_services("bulk_edit.py", "catalog_bench_bulk_edit")

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client

from bench.stats import _machine, _rabbitmq_version
from catalog.bulkedit.jobs import bulk_edit_create
from catalog.bulkedit.operations import PRICE_PERCENT, Operation, new_price
from catalog.bulkedit.preview import Selection, bulk_edit_preview
from catalog.demo import catalog_seed
from catalog.models import BulkEdit, Product
from config.queues import (
    QUEUE_CATALOG_IMPORTS,
    QUEUE_STATS_BATCH,
    QUEUE_STATS_BULK,
    QUEUE_STATS_NOW,
)
from stats.recompute.products import product_stats_recompute_all
from testkit.admin_forms import product_fields, product_form, variant_row, with_version_token
from testkit.catalog_reset import catalog_empty
from testkit.checks import statistics_current, statistics_errors
from testkit.stack import Stack
from testkit.workers import purge_queue

OUT_DIR = ROOT / "var" / "bench-bulk-edit"
QUEUES = (QUEUE_STATS_BATCH, QUEUE_STATS_NOW, QUEUE_STATS_BULK, QUEUE_CATALOG_IMPORTS)
PLUS_10 = [Operation(PRICE_PERCENT, "10")]


def _client() -> Client:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-editor", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


def _save_plus_10(client: Client, product_id: int) -> float:
    """One editor's save of the product, its prices +10%: seconds the POST took."""
    product = Product.objects.get(pk=product_id)
    variants = list(product.variants.order_by("id"))
    rows = [variant_row(v, price=str(new_price(v.price, PLUS_10))) for v in variants]
    url = f"/admin/catalog/product/{product_id}/change/"
    data = with_version_token(
        client, url, product_form(product_fields(product), rows, initial=len(rows))
    )
    started = time.perf_counter()
    response = client.post(url, data)
    took = time.perf_counter() - started
    if response.status_code != 302:
        raise RuntimeError(f"admin save of product {product_id}: HTTP {response.status_code}")
    return took


def bench_baseline(ids: list[int]) -> float:
    """Products/s of the admin's change form, one product after another (POSTs only)."""
    client = _client()
    seconds = sum(_save_plus_10(client, pid) for pid in ids)
    return len(ids) / seconds


def bench_preview_page() -> tuple[int, float]:
    """The admin's "Edit all N products" path over the whole catalog, price +10%: the
    preview page's GET (selection, preview, first page of 50), timed: (products, seconds)."""
    client = _client()
    form_url = client.get("/admin/catalog/product/bulk-edit/all/")["Location"]
    fields = {"status": "", "category": "", "stock_change": "", "stock_value": ""}
    fields |= {"price_change": "price_percent", "price_value": "10"}
    response = client.post(form_url, fields)
    if response.status_code != 302:
        raise RuntimeError(f"the bulk edit form refused: HTTP {response.status_code}")
    started = time.perf_counter()
    page = client.get(response["Location"])
    took = time.perf_counter() - started
    if page.status_code != 200:
        raise RuntimeError(f"the preview page: HTTP {page.status_code}")
    return Product.objects.count(), took  # no filter: every product


class Editor(threading.Thread):
    """An editor saving their own product again and again, 0.2 s apart, until stopped
    (or ``saves`` times); the first save, a warm-up, is not counted."""

    def __init__(self, product_id: int, saves: int | None = None) -> None:
        super().__init__(daemon=True)
        self.product_id = product_id
        self.saves = saves
        self.timings: list[float] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        client = _client()
        try:
            _save_plus_10(client, self.product_id)  # warm-up (first request): not counted
            while not self.stop.is_set() and (self.saves is None or len(self.timings) < self.saves):
                self.timings.append(_save_plus_10(client, self.product_id))
                self.stop.wait(0.2)
        except BaseException as exc:  # reported by the main thread
            self.error = exc
        finally:
            connection.close()

    def p95_ms(self) -> float:
        if self.error is not None:
            raise RuntimeError(f"the editor's save failed: {self.error}")
        return statistics.quantiles(self.timings, n=20)[-1] * 1000


def _wait_done(job: BulkEdit, started: float, timeout: float) -> float:
    """Seconds from ``started`` until the job ends (looked at every 50 ms)."""
    while time.monotonic() - started < timeout:
        job.refresh_from_db()
        if not job.is_active:
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError(f"bulk edit {job.pk} still {job.status} after {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description="Bulk edit benchmark (see module docstring).")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=200, help="products saved one by one")
    parser.add_argument("--editor-saves", type=int, default=60, help="idle saves for the p95")
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    catalog_empty()
    for queue in QUEUES:
        purge_queue(queue)
    catalog_seed(products=args.products + args.baseline + 1)
    ids = sorted(Product.objects.values_list("pk", flat=True))
    job_ids, baseline_ids, editor_id = ids[: args.products], ids[args.products : -1], ids[-1]
    product_stats_recompute_all(chunk_size=1000)
    print(
        f"{len(ids):,} products; MariaDB {connection.mysql_server_info}, "
        f"RabbitMQ {_rabbitmq_version()}; flush interval {settings.STATS_BATCH_FLUSH_INTERVAL} s",
        flush=True,
    )
    print(f"machine: {_machine()}; {datetime.now().astimezone():%Y-%m-%d %H:%M %z}", flush=True)

    # The Procfile's workers and beat, their command lines as the Procfile has them (the
    # editor's saves go through the test client here, not through the web process).
    stack = Stack(
        "bench-bulk-edit",
        var_dir=OUT_DIR,
        env={
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
        },
        token=secrets.token_hex(16),
    )
    try:
        for name, process in stack.processes.items():
            if name != "web":
                process.start()
        time.sleep(10)  # the workers connect and declare their queues
        baseline = bench_baseline(baseline_ids)
        print(f"baseline: {len(baseline_ids)} admin saves at {baseline:.1f} products/s", flush=True)
        idle = Editor(editor_id, saves=args.editor_saves)
        idle.start()
        idle.join()
        print(f"editor idle: save p95 {idle.p95_ms():.0f} ms", flush=True)

        started = time.monotonic()
        preview = bulk_edit_preview(selection=Selection(job_ids, "bench"), operations=PLUS_10)
        preview_s = time.monotonic() - started
        print(f"preview of {preview.selected:,} products: {preview_s:.2f} s", flush=True)
        page_products, page_s = bench_preview_page()
        print(f"preview page of {page_products:,} products: {page_s:.2f} s", flush=True)

        busy = Editor(editor_id)
        busy.start()
        time.sleep(1)  # the editor is saving when the job starts
        started = time.monotonic()
        job = bulk_edit_create(preview=preview, user=None)
        apply_s = _wait_done(job, started, timeout=1800)
        ended = time.monotonic()
        busy.stop.set()
        busy.join()
        if job.status != BulkEdit.Status.DONE or job.changed != len(job_ids):
            raise RuntimeError(
                f"bulk edit {job.pk}: {job.status}, {job.changed} changed {job.error}"
            )
        deadline = settings.STATS_BATCH_FLUSH_INTERVAL + 60
        while not statistics_current():
            if time.monotonic() - ended > deadline + 300:
                raise TimeoutError("statistics not current 300 s after the deadline")
            time.sleep(1)
        stats_s = time.monotonic() - ended
    finally:
        stack.stop()
    print("checking every statistic against a from-scratch computation...", flush=True)
    errors = statistics_errors()
    worker_s = (job.finished_at - job.started_at).total_seconds()
    rate = job.changed / apply_s
    table = [
        ("Preview of the products, in-process", f"{preview_s:.2f} s (target < 5 s)"),
        (
            f"The admin's preview page, Edit all {page_products:,} products",
            f"{page_s:.2f} s (target < 5 s)",
        ),
        (
            "Apply in the import worker, commit to done",
            f"{apply_s:.1f} s: **{rate:,.0f} products/s**, **{rate / baseline:.0f}x** the "
            f"baseline (targets >= 1,000/s, >= 20x)",
        ),
        (
            "The same, the worker's own start to end",
            f"{worker_s:.1f} s ({job.changed / worker_s:,.0f}/s)",
        ),
        (
            f"Baseline: the admin's change form, {len(baseline_ids)} products one by one",
            f"{baseline:.1f} products/s",
        ),
        (
            "Editor's save p95 beside the job / idle",
            f"{busy.p95_ms():.0f} ms ({len(busy.timings)} saves) / {idle.p95_ms():.0f} ms: "
            f"**{busy.p95_ms() / idle.p95_ms():.2f}x** (target <= 2x)",
        ),
        (
            "Job's end to every statistic current",
            f"**{stats_s:.1f} s** (deadline: flush interval + 60 s = {deadline} s)",
        ),
        ("Statistics differing from a from-scratch computation", f"{len(errors)}"),
    ]
    print(f"load average at the end: {os.getloadavg()}")
    print("\n| What | Measured |\n| --- | --- |")
    for what, measured in table:
        print(f"| {what} | {measured} |")
    for error in errors[:10]:
        print("  ", error)
    return 1 if errors or stats_s > deadline else 0


if __name__ == "__main__":
    sys.exit(main())
