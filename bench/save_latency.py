"""Admin save latency with 1, 10 and 50 concurrent editors, against gunicorn.

Needs MariaDB and RabbitMQ (the target is stated for them) and its own database:

    mariadb -uroot -h127.0.0.1 -e \\
        'CREATE DATABASE IF NOT EXISTS catalog_bench_save CHARACTER SET utf8mb4'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench_save \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// \\
        .venv/bin/python bench/save_latency.py [--configs 2x4,3x8] [--no-batch-worker]

What it does: migrates, seeds the catalog if it is smaller than ``--catalog``, creates one
editor account per concurrent editor (``editors.services.editor_create``), each with a
product of its own with three variants, collects the static files, and starts the web
server of the Procfile, **gunicorn**, as a subprocess on a free port of 127.0.0.1 in
production mode (``DJANGO_ENV=production``, ``DEBUG`` off, a random ``SECRET_KEY``,
``ALLOWED_HOSTS=127.0.0.1``, hashed static files). Requests carry
``X-Forwarded-Proto: https`` as the TLS-terminating proxy in front of production does,
so the production security settings (SSL redirect, secure cookies, the CSRF origin check)
stay on and are exercised as deployed. By default a batch worker (``-Q stats.batch
-c 1``, as in the Procfile) consumes the save requests beside the server, as in
production; ``--no-batch-worker`` lets them pile up in ``stats.batch``, which is purged
at the end either way.

Why gunicorn: it is already the ``web`` process of the Procfile (nothing new to install
or learn), it is a pre-fork server (several processes, so two cores are used despite
the GIL) with threads in each worker (``--threads``: a thread waiting on MariaDB or
RabbitMQ lets another run), and measuring anything else would measure a server we do not
deploy. ``--configs`` tries several ``WORKERSxTHREADS``; each thread may hold a database
connection (``DATABASE_CONN_MAX_AGE``), so workers x threads is also the connection count.

Each editor logs in over HTTP (the admin login form, its CSRF token and cookies; stdlib
``http.client`` only), then, in its own thread, repeatedly GETs its product's change form
and POSTs a change (the product's name and the three variant inlines), for ``--duration``
seconds or ``--max-saves`` saves, whichever comes first. After each save an editor
pauses 0.5-1.5 x ``--think`` seconds (default 10: change a field, save; the start is
staggered too), as people do; that is what "50 concurrent editors" means in the target.
``--think 0`` is a stress test instead, where N editors keep N requests in flight and
latency is mostly queueing (about N / throughput): it shows the server's capacity.
Only the POST is timed for the save figures; a POST counts as failed unless it answers
302 to the change list (timeouts and errors are failures too), and the admin log entries
written are checked against the 302s. The GET of the change form is timed as context: it
is what an editor waits for before the save, and it shows how loaded the server is.

Columns: ``saves`` POSTs sent, ``failed``, POST ``p50``/``p95`` in ms, successful
``saves/s``, ``p95 x`` the p95 as a multiple of the first level's (the baseline measured
in the same run: how much concurrency costs an editor), GET p50/p95 in ms, ``flushes``
of the batch worker during the level (``BatchFlush`` rows), ``load`` the 1-minute load
average at the end of the level (the client runs on the same machine; a high load from
other processes spoils the figures).

Every run is bounded (per level and per request) and stops by itself; gunicorn and the
worker are stopped at the end, also on Ctrl-C or an error.
"""

import argparse
import http.client
import os
import random
import secrets
import statistics
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import setup_django_on_services

setup_django_on_services("save_latency.py", "catalog_bench_save")

from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import connection, transaction

from bench.browser import CSRF_INPUT, Browser
from bench.server import REQUEST_TIMEOUT, Gunicorn, collectstatic, server_env
from catalog.demo import catalog_seed
from catalog.models import Category, Product, Variant
from config.queues import QUEUE_STATS_BATCH
from editors.services import editor_create
from stats.models import BatchFlush
from testkit.admin_forms import TOKEN_FIELD, product_form, version_token
from testkit.workers import WorkerProcess, purge_queue, queue_counts

VAR_DIR = ROOT / "var" / "bench-save"
USERNAME = "bench-editor-{:02d}"
SKU = "BENCH-SAVE-{:02d}"
VARIANTS = 3
CHANGELIST = "/admin/catalog/product/"


# --- Setup (in this process, through the ORM) -------------------------------------------------


@dataclass(frozen=True)
class EditorAccount:
    username: str
    password: str
    product_id: int
    sku: str
    slug: str
    category_id: int | None
    variants: tuple[tuple[int, str], ...]  # (id, sku)


def _own_product(number: int, category: Category) -> Product:
    """The editor's product with three variants, created once, reused by later runs."""
    sku = SKU.format(number)
    with transaction.atomic():
        product, created = Product.objects.get_or_create(
            sku=sku,
            defaults={
                "name": f"Bench product {number}",
                "slug": sku.lower(),
                "description": "Saved over and over by the save-latency benchmark.",
                "category": category,
                "status": Product.Status.PUBLISHED,
            },
        )
        if created:
            for index in range(1, VARIANTS + 1):
                Variant.objects.create(
                    product=product,
                    sku=f"{sku}-{index}",
                    size="M",
                    colour="black",
                    price=Decimal("10.00") + index,
                    stock=10,
                )
    return product


def _editor_accounts(count: int) -> list[EditorAccount]:
    from django.contrib.auth import get_user_model

    category = Category.objects.filter(children__isnull=True).order_by("id").first()
    accounts = []
    for number in range(1, count + 1):
        username, password = USERNAME.format(number), secrets.token_urlsafe(16)
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            editor_create(username=username, password=password)
        else:  # a re-run: new password, same account
            user.set_password(password)
            user.save(update_fields=["password"])
        product = _own_product(number, category)
        variants = tuple(product.variants.order_by("id").values_list("id", "sku"))
        assert len(variants) == VARIANTS, (product.sku, variants)
        accounts.append(
            EditorAccount(
                username, password, product.pk, product.sku, product.slug, category.pk, variants
            )
        )
    return accounts


# --- The server and the worker ------------------------------------------------------------------


# --- An editor over HTTP ------------------------------------------------------------------------


def _change_form(account: EditorAccount, page: str, round_: int) -> dict:
    """The change form as the browser posts it: product name and every variant changed,
    with the CSRF and version tokens of the page just loaded (without the version token
    the save would be shown as a conflict, not saved)."""
    csrf = CSRF_INPUT.search(page)
    if csrf is None:
        raise RuntimeError("the change form carries no CSRF token")
    fields = {
        "csrfmiddlewaretoken": csrf.group(1),
        TOKEN_FIELD: version_token(page),
        "sku": account.sku,
        "name": f"Bench product {account.username} #{round_}",
        "slug": account.slug,
        "description": "Saved over and over by the save-latency benchmark.",
        "category": str(account.category_id or ""),
        "status": "published",
        "_save": "Save",
    }
    rows = [
        {
            "id": str(variant_id),
            "product": str(account.product_id),
            "sku": sku,
            "size": "M",
            "colour": "black",
            "price": f"{10 + i + round_ % 100}.{round_ % 100:02d}",
            "currency": "EUR",
            "stock": str(round_ % 200 + i),
        }
        for i, (variant_id, sku) in enumerate(account.variants)
    ]
    return product_form(fields, rows, initial=len(rows))


@dataclass
class EditorResult:
    posts: list[float] = field(default_factory=list)  # seconds, every POST sent
    gets: list[float] = field(default_factory=list)
    failed: int = 0
    saved: int = 0
    errors: list[str] = field(default_factory=list)


def _edit_loop(
    browser: Browser,
    account: EditorAccount,
    result: EditorResult,
    *,
    start: threading.Barrier,
    deadline_after: float,
    max_saves: int,
    think: float,
    first_round: int,
) -> None:
    change_url = f"/admin/catalog/product/{account.product_id}/change/"
    pause = random.Random(account.username)
    start.wait()
    deadline = time.monotonic() + deadline_after
    round_ = first_round
    if think:  # editors do not all press Save in the same instant
        time.sleep(pause.uniform(0, think))
    while time.monotonic() < deadline and result.saved + result.failed < max_saves:
        round_ += 1
        try:
            began = time.perf_counter()
            page = browser.get(change_url)
            result.gets.append(time.perf_counter() - began)
            if page.status != 200:
                raise RuntimeError(f"GET change form: HTTP {page.status}")
            form = _change_form(account, page.body, round_)
            began = time.perf_counter()
            response = browser.post(change_url, form)
            result.posts.append(time.perf_counter() - began)
            location = response.headers.get("Location", "")
            if response.status == 302 and urllib.parse.urlsplit(location).path == CHANGELIST:
                result.saved += 1
            else:
                result.failed += 1
                result.errors.append(f"POST: HTTP {response.status} {location}")
        except (OSError, RuntimeError, ValueError, http.client.HTTPException) as exc:
            result.failed += 1
            result.errors.append(f"{type(exc).__name__}: {exc}")
        if think:
            time.sleep(min(pause.uniform(0.5, 1.5) * think, max(0.0, deadline - time.monotonic())))


# --- One level, one server configuration --------------------------------------------------------


def _percentile(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _run_level(
    browsers: list[Browser],
    accounts: list[EditorAccount],
    *,
    editors: int,
    duration: float,
    max_saves: int,
    think: float,
    first_round: int,
) -> dict:
    results = [EditorResult() for _ in range(editors)]
    start = threading.Barrier(editors + 1)
    threads = [
        threading.Thread(
            target=_edit_loop,
            args=(browsers[i], accounts[i], results[i]),
            kwargs={
                "start": start,
                "deadline_after": duration,
                "max_saves": max_saves,
                "think": think,
                "first_round": first_round,
            },
            daemon=True,
        )
        for i in range(editors)
    ]
    for thread in threads:
        thread.start()
    logged_before = LogEntry.objects.count()
    flushes_before = BatchFlush.objects.count()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        # Hard bound: the duration, plus one request that may run to its timeout.
        thread.join(max(0.0, began + duration + 2 * REQUEST_TIMEOUT + 5 - time.monotonic()))
    elapsed = time.monotonic() - began
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"editors still running after {elapsed:.0f} s")
    posts = [t for r in results for t in r.posts]
    gets = [t for r in results for t in r.gets]
    saved = sum(r.saved for r in results)
    errors = [e for r in results for e in r.errors]
    return {
        "editors": editors,
        "saves": len(posts),
        "failed": sum(r.failed for r in results),
        "p50": statistics.median(posts) * 1000 if posts else float("nan"),
        "p95": _percentile(posts, 95) * 1000,
        "rate": saved / elapsed,
        "get_p50": statistics.median(gets) * 1000 if gets else float("nan"),
        "get_p95": _percentile(gets, 95) * 1000,
        "logged": LogEntry.objects.count() - logged_before,
        "saved": saved,
        "errors": errors[:3],
        "flushes": BatchFlush.objects.count() - flushes_before,
        "load": os.getloadavg()[0],
    }


def _print_table(config: str, rows: list[dict]) -> None:
    print(
        f"\n{config}\n"
        f"{'editors':>7} {'saves':>6} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'saves/s':>8}"
        f" {'p95 x':>6}   {'GET p50':>7} {'GET p95':>7}   {'flushes':>7} {'load':>5}"
    )
    # The baseline, measured in the same run: p95 with the fewest editors.
    baseline = rows[0]["p95"] if rows else float("nan")
    for r in rows:
        print(
            f"{r['editors']:>7} {r['saves']:>6} {r['failed']:>6} {r['p50']:>7.0f} {r['p95']:>7.0f} "
            f"{r['rate']:>8.1f} {r['p95'] / baseline:>6.2f}   "
            f"{r['get_p50']:>7.0f} {r['get_p95']:>7.0f}   {r['flushes']:>7} {r['load']:>5.2f}"
        )
        if r["logged"] != r["saved"]:
            print(f"        ! {r['saved']} saves answered 302 but {r['logged']} were logged")
        for error in r["errors"]:
            print(f"        ! {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=int, default=20_000, help="products in the catalog")
    parser.add_argument("--levels", default="1,10,50", help="concurrent editors per level")
    parser.add_argument(
        "--configs",
        default="2x4",
        help="gunicorn WORKERSxTHREADS to try, e.g. 2x4,3x8 (default: the Procfile's)",
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds per level")
    parser.add_argument("--max-saves", type=int, default=40, help="saves per editor per level")
    parser.add_argument(
        "--think", type=float, default=10, help="mean seconds between two saves (0: stress)"
    )
    parser.add_argument(
        "--batch-worker",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"run a batch worker consuming {QUEUE_STATS_BATCH} beside the server (as deployed)",
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    configs = [tuple(int(n) for n in c.split("x")) for c in args.configs.split(",")]

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    if Product.objects.count() < args.catalog:
        print(f"seeding {args.catalog:,} products...", flush=True)
        catalog_seed(products=args.catalog)
    accounts = _editor_accounts(max(levels))
    env = server_env(VAR_DIR)
    print("collecting static files (production storage)...", flush=True)
    collectstatic(env)
    print(
        f"catalog: {Product.objects.count():,} products; {os.cpu_count()} CPUs; "
        f"MariaDB {connection.mysql_server_info}; batch worker: "
        f"{'consuming' if args.batch_worker else 'none (requests pile up)'}; "
        f"{args.duration:g} s or {args.max_saves} saves per editor and level, "
        f"think time {args.think:g} s",
        flush=True,
    )
    connection.close()  # the editors' threads use their own; this one would idle meanwhile

    purge_queue(QUEUE_STATS_BATCH)
    worker = WorkerProcess(queues=[QUEUE_STATS_BATCH]) if args.batch_worker else None
    round_ = int(time.time())  # every save changes the product, also across runs
    try:
        if worker:
            worker.start()
        for workers, threads in configs:
            with Gunicorn(log_dir=VAR_DIR, workers=workers, threads=threads, env=env) as server:
                browsers = [Browser(server.port) for _ in accounts]
                for browser, account in zip(browsers, accounts, strict=True):
                    browser.login(account.username, account.password)
                rows = []
                for editors in levels:
                    rows.append(
                        _run_level(
                            browsers,
                            accounts,
                            editors=editors,
                            duration=args.duration,
                            max_saves=args.max_saves,
                            think=args.think,
                            first_round=round_,
                        )
                    )
                    round_ += args.max_saves + 1
            _print_table(f"gunicorn --workers {workers} --threads {threads}", rows)
    finally:
        ready, consumers = queue_counts(QUEUE_STATS_BATCH)
        print(f"\n{QUEUE_STATS_BATCH} at the end: {ready} ready messages, {consumers} consumers")
        if worker:
            worker.stop()  # a warm shutdown returns its unflushed buffer to the queue
            ready, _ = queue_counts(QUEUE_STATS_BATCH)
            print(f"after the batch worker stopped: {ready} ready (its unflushed buffer)")
        purge_queue(QUEUE_STATS_BATCH)
        print(f"{QUEUE_STATS_BATCH} purged")


if __name__ == "__main__":
    main()
