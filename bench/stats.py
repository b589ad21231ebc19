"""Statistics benchmark: what the enqueue costs a save, and what batching buys the worker.

Needs MariaDB and RabbitMQ (the targets are stated for them) and its own database:

    mariadb -uroot -e 'CREATE DATABASE catalog_bench CHARACTER SET utf8mb4'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// \\
        .venv/bin/python bench/stats.py

On a machine others use too, give it a RabbitMQ vhost of its own as well (``rabbitmqctl
add_vhost bench``, then ``.../5672/bench`` and ``RABBITMQ_VHOST=bench``): it purges its queues.

Each figure is a ratio against a baseline measured in the same run:
1. admin saves per second (product + 3 variant inlines, through the real admin view)
   with the statistics receivers connected (mark stale, bump version, publish) and
   disconnected;
2. save events per second absorbed by one batch worker (-c 1) when each batch holds 100
   distinct stale products, against a worker running one plain task per save that does
   the same work per event (the product recomputed, its categories only marked for the
   periodic refresh), and as a percentage of the ceiling: one bare py-amqp consumer
   draining the same messages (bench/amqp_ceiling.py);
3. recompute time per product, set-based vs the per-product ORM loop.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "test")

import django

django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.db.models.signals import post_delete
from django.test import Client

from bench.amqp_ceiling import drain
from catalog.demo import catalog_seed
from catalog.models import Product, Variant
from catalog.services import product_versions_bump
from catalog.signals import product_changed
from config.celery import app
from config.queues import QUEUE_DEFAULT, QUEUE_STATS_BATCH
from stats import receivers
from stats.batch.tasks import queue_product_stats
from stats.models import BatchFlush, ProductStaleness
from stats.recompute.categories import category_stats_refresh_stale
from stats.recompute.marks import product_stats_mark_stale
from stats.recompute.products import product_stats_recompute
from testkit.admin_forms import product_fields, product_form, variant_row, with_version_token
from testkit.reference import product_stats_recompute_loop
from testkit.workers import WorkerProcess, purge_queue

#: What stats adds to a save (the mark, the on-commit publish); the catalog's own version
#: bump stays connected in both configurations.
RECEIVERS = [
    (product_changed, receivers.product_changed, None, "stats.product_changed"),
    (post_delete, receivers.product_deleted, Product, "stats.product_deleted"),
]


def _receivers(connected: bool) -> None:
    for signal, handler, sender, uid in RECEIVERS:
        if connected:
            signal.connect(handler, sender=sender, dispatch_uid=uid)
        else:
            signal.disconnect(sender=sender, dispatch_uid=uid)


def _chunks(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _make_stale(ids: list[int]) -> None:
    for chunk in _chunks(ids, 2000):
        product_versions_bump(product_ids=chunk)
        product_stats_mark_stale(product_ids=chunk)


def _form_data(product: Product, variants: list[Variant], round_: int) -> dict:
    fields = product_fields(product, name=f"{product.name.split(' #')[0]} #{round_}")
    rows = [variant_row(v, stock=str((v.stock + round_) % 200 + 1)) for v in variants]
    return product_form(fields, rows, initial=len(variants))


def bench_save_overhead(saves: int) -> None:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    products = list(Product.objects.annotate(n=Count("variants")).filter(n=3).order_by("id")[:50])
    forms = [(p, list(p.variants.order_by("id"))) for p in products]
    timings: dict[bool, list[float]] = {True: [], False: []}
    # Interleaved save by save (and alternating which goes first), so drift in the
    # machine's or the database's speed hits both configurations alike.
    for i in range(saves):
        product, variants = forms[i % len(forms)]
        url = f"/admin/catalog/product/{product.pk}/change/"
        for connected in (i % 2 == 0, i % 2 == 1):
            _receivers(connected)
            # Opened first, as an editor does (the version token); only the POST is timed.
            data = with_version_token(client, url, _form_data(product, variants, 2 * i + connected))
            start = time.perf_counter()
            response = client.post(url, data)
            timings[connected].append(time.perf_counter() - start)
            assert response.status_code == 302, response.status_code
    _receivers(True)
    purge_queue(QUEUE_STATS_BATCH)
    with_ms = statistics.median(timings[True]) * 1000
    without_ms = statistics.median(timings[False]) * 1000
    print(f"\n1. Admin save (product + 3 variant inlines), median of {saves} saves each")
    print(f"   without the enqueue: {1000 / without_ms:7.1f} saves/s ({without_ms:.2f} ms/save)")
    print(f"   with the enqueue:    {1000 / with_ms:7.1f} saves/s ({with_ms:.2f} ms/save)")
    ratio = with_ms / without_ms
    print(f"   overhead: {(ratio - 1) * 100:+.1f}% per save (ratio {ratio:.3f})")


def _cpu_by_process(main_pid: int, role: str) -> dict[str, float]:
    """CPU seconds so far of ``main_pid`` and its children, RabbitMQ and MariaDB (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended meanwhile
        pid = int(stat.parent.name)
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        parent, cpu = int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks
        label = {"beam.smp": "RabbitMQ", "mariadbd": "MariaDB"}.get(name)
        if pid == main_pid:
            label = f"{role} main process"
        elif parent == main_pid:
            label = f"{role} pool process"
        if label:
            found[label] = found.get(label, 0.0) + cpu
    return found


def _per_event(before: dict[str, float], after: dict[str, float], events: int) -> str:
    return ", ".join(
        f"{label} {(after[label] - before.get(label, 0.0)) / events * 1e6:.0f} us"
        for label in sorted(after)
    )


def _drain(worker: WorkerProcess, queue: str, publish, ids: list[int]) -> tuple[float, str]:
    """Seconds to drain ``ids`` requests, and where the CPU went per event meanwhile."""
    worker.start()
    app.control.cancel_consumer(queue, destination=[worker.hostname], reply=True)
    for pid in ids:
        publish(pid)
    # Done when only the marks outside the sample are left. A plain COUNT(*) on the
    # shrinking table: polling with the sample's 10,000 ids in an IN list cost MariaDB
    # CPU every 50 ms, taken from the worker being measured on the same two cores.
    others = ProductStaleness.objects.exclude(product_id__in=ids).count()
    cpu_before = _cpu_by_process(worker.process.pid, "worker")
    start = time.perf_counter()
    app.control.add_consumer(queue, destination=[worker.hostname], reply=True)
    while ProductStaleness.objects.count() > others:
        time.sleep(0.05)
        if time.perf_counter() - start > 600:
            raise TimeoutError(worker.log()[-3000:])
    elapsed = time.perf_counter() - start
    cpu = _cpu_by_process(worker.process.pid, "worker")
    worker.stop()
    return elapsed, _per_event(cpu_before, cpu, len(ids))


def _drain_bare(ids: list[int], flush_every: int) -> tuple[float, str]:
    """Seconds for one bare py-amqp consumer to drain ``ids`` save requests, and its CPU."""
    purge_queue(QUEUE_STATS_BATCH)
    for pid in ids:
        queue_product_stats(product_id=pid)
    with app.connection_for_read() as conn:  # the broker, vhost and login the workers use
        broker = {
            "host": conn.host,
            "userid": conn.userid,
            "password": conn.password,
            "virtual_host": conn.virtual_host,
        }
    cpu_before = _cpu_by_process(os.getpid(), "consumer")
    elapsed = drain(
        **broker,
        queue=QUEUE_STATS_BATCH,
        count=len(ids),
        prefetch=2 * flush_every,  # as stats.batch.worker sets it
        ack_every=flush_every,
    )
    cpu = _cpu_by_process(os.getpid(), "consumer")
    return elapsed, _per_event(cpu_before, cpu, len(ids))


def bench_worker_throughput(events: int, baseline_events: int, concurrency: int) -> None:
    from bench.tasks import product_stats_one

    ids = list(Product.objects.order_by("id").values_list("id", flat=True)[:events])
    # Every batch full, as the target says: with a 5 s interval the timer fired mid-drain,
    # flushed a partial batch and left the tail waiting up to 5 s for the next tick, which
    # the measurement then counted. DEBUG off, as deployed (no query log in the worker).
    env = {"STATS_BATCH_FLUSH_EVERY": "100", "STATS_BATCH_FLUSH_INTERVAL": "60", "DEBUG": "false"}
    print(f"\n2. Worker throughput; each batch holds 100 distinct stale products, -c {concurrency}")

    # The ceiling first, then the two workers: each figure is measured next to the one
    # it is compared with.
    elapsed, cpu = _drain_bare(ids, flush_every=int(env["STATS_BATCH_FLUSH_EVERY"]))
    ceiling = len(ids) / elapsed
    print(f"   {'bare py-amqp consumer':26} {ceiling:8.0f} events/s ({len(ids):,} events)")
    print(f"   {'':26} no Celery, no database: decode, one multiple ack per 100")
    print(f"   {'':26} CPU per event: {cpu}")

    rates = {}
    for name, queue, publish, sample in [
        (
            "batched (celery-batches)",
            QUEUE_STATS_BATCH,
            lambda pid: queue_product_stats(product_id=pid),
            ids,
        ),
        (
            "one task per save",
            QUEUE_DEFAULT,
            lambda pid: product_stats_one.apply_async(args=[pid], queue=QUEUE_DEFAULT),
            ids[:baseline_events],
        ),
    ]:
        purge_queue(queue)
        _make_stale(sample)
        category_stats_refresh_stale()  # both start with no category marked
        BatchFlush.objects.all().delete()
        worker = WorkerProcess(
            queues=[queue],
            concurrency=concurrency,
            env=env,
            extra_args=["--include", "bench.tasks"],
        )
        elapsed, cpu = _drain(worker, queue, publish, sample)
        rates[name] = len(sample) / elapsed
        sizes = sorted(set(BatchFlush.objects.values_list("requests", flat=True)))
        detail = f", batch sizes {sizes}" if sizes else ""
        print(f"   {name:26} {rates[name]:8.0f} events/s ({len(sample):,} events{detail})")
        print(f"   {'':26} CPU per event: {cpu}")
    batched, single = rates.values()
    print(f"   batched / one task per save: {batched / single:.1f}x (both defer categories)")
    print(f"   batched / bare consumer:     {batched / ceiling:.0%} of the ceiling")


def bench_recompute(size: int, repeat: int) -> None:
    ids = list(Product.objects.order_by("-id").values_list("id", flat=True)[:size])
    set_based, loop = [], []
    for _ in range(repeat):
        _make_stale(ids)
        start = time.perf_counter()
        result = product_stats_recompute(product_ids=ids)
        set_based.append((time.perf_counter() - start) / result.computed)
        _make_stale(ids)
        start = time.perf_counter()
        result = product_stats_recompute_loop(product_ids=ids)
        loop.append((time.perf_counter() - start) / result.computed)
    fast, slow = statistics.median(set_based) * 1000, statistics.median(loop) * 1000
    print(f"\n3. Recompute of {size:,} stale products, median of {repeat}")
    print(f"   set-based:        {fast:8.3f} ms/product")
    print(f"   per-product loop: {slow:8.3f} ms/product")
    print(f"   ratio: {slow / fast:.1f}x faster set-based")


def _machine() -> str:
    nproc = len(os.sched_getaffinity(0))  # what `nproc` prints
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"nproc {nproc} (of {os.cpu_count()} CPUs), {model}"


def _rabbitmq_version() -> str:
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1)
        version = conn.connection.server_properties.get("version", "?")
    return version.decode() if isinstance(version, bytes) else version


def main() -> None:
    parser = argparse.ArgumentParser(description="Statistics benchmark (see module docstring).")
    parser.add_argument("--catalog", type=int, default=20_000, help="products in the catalog")
    parser.add_argument("--saves", type=int, default=400, help="admin saves per configuration")
    parser.add_argument("--events", type=int, default=10_000, help="save events, batched")
    parser.add_argument(
        "--baseline-events", type=int, default=3_000, help="save events, one task each"
    )
    parser.add_argument("--recompute", type=int, default=1_000, help="products for part 3")
    parser.add_argument("--concurrency", type=int, default=1, help="-c of the part-2 workers")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run, e.g. 2 or 1,3")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if connection.vendor != "mysql" or not settings.CELERY_BROKER_URL.startswith("amqp"):
        sys.exit("bench/stats.py needs DATABASE_URL=mysql://... and CELERY_BROKER_URL=amqp://...")

    call_command("migrate", verbosity=0)
    if Product.objects.count() < args.catalog:
        print(f"seeding {args.catalog:,} products...", flush=True)
        catalog_seed(products=args.catalog)
    ids = list(Product.objects.values_list("id", flat=True))
    for chunk in _chunks(ids, 2000):
        product_stats_recompute(product_ids=chunk)
    print(
        f"catalog: {len(ids):,} products, {Variant.objects.count():,} variants; "
        f"MariaDB {connection.mysql_server_info}, RabbitMQ {_rabbitmq_version()}"
    )
    # Absolute figures only mean something with the machine they came from.
    print(f"machine: {_machine()}; {datetime.now().astimezone():%Y-%m-%d %H:%M %z}")

    if "1" in parts:
        bench_save_overhead(args.saves)
    if "2" in parts:
        bench_worker_throughput(min(args.events, len(ids)), args.baseline_events, args.concurrency)
    if "3" in parts:
        bench_recompute(args.recompute, repeat=3)


if __name__ == "__main__":
    main()
