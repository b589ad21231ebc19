"""Recomputes per save burst with 1, 2 and 4 batch workers: one queue, then shard queues.

Why: celery-batches de-duplicates only inside one worker's buffer. RabbitMQ hands a
queue's messages to its consumers in turn, so with N batch workers the saves of one
product are spread over up to N buffers, and the product may be recomputed up to N times
per burst (issue #17). With ``STATS_BATCH_SHARDS`` > 1 a product's requests go to its
shard's queue, which one worker consumes at a time, so its saves meet in one buffer. This
measures both in the same run: the one-queue baseline, then ``--shards`` shard queues
(8 by default; 0 skips them), and their ratio.

Needs MariaDB and RabbitMQ, a database of its own and a vhost of its own (it purges
``stats.batch`` and the shard queues):

    mariadb -uroot -h127.0.0.1 -e \\
        'CREATE DATABASE IF NOT EXISTS catalog_bench_workers CHARACTER SET utf8mb4'
    rabbitmqctl add_vhost bench && rabbitmqctl set_permissions -p bench guest '.*' '.*' '.*'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench_workers \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench \\
        .venv/bin/python bench/batch_workers.py [--products 50] [--saves 10] [--workers 1,2,4] \
            [--shards 8] [--interval 90]

For each worker count: starts that many batch workers (``-Q stats.batch,stats.now -c 1``,
as in the Procfile), makes ``--saves`` real saves of each of ``--products`` products in a
random order (one transaction and one request each), waits until every request is flushed, and
reads the ``BatchFlush`` records: flushes, and products recomputed summed over flushes
(a recompute that found the figures already current, because another worker computed
the same version first, still read the product: counted, and shown apart). The flush
interval (``--interval``, 90 s) is longer than the burst and the count threshold is out of
reach, so each worker flushes once per burst: one worker recomputes each product once.
With shards, the burst starts once the workers' leases have shared the shards out.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "test")

import django

django.setup()

from django.core.management import call_command
from django.db.models import Sum

from catalog.demo import catalog_seed
from catalog.models import Product
from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_NOW
from stats.models import BatchFlush, BatchWorkerLease, ProductStaleness
from stats.recompute.products import product_stats_recompute
from testkit.checks import save_variants
from testkit.shards import publishing_to_shards, shards_shared_out
from testkit.workers import WorkerProcess, purge_queue, wait_for


def _burst(
    workers: int, products: list[Product], saves: int, interval: int, shards: int = 1
) -> dict[str, float]:
    purge_queue(QUEUE_STATS_BATCH)
    BatchFlush.objects.all().delete()
    BatchWorkerLease.objects.all().delete()
    started = [
        WorkerProcess(
            queues=[QUEUE_STATS_BATCH, QUEUE_STATS_NOW],
            # One flush per worker per burst: the timer's, after the whole burst arrived.
            env={
                "STATS_BATCH_FLUSH_INTERVAL": str(interval),
                "STATS_BATCH_FLUSH_EVERY": "5000",
                "STATS_STALE_MARGIN": "0",
                "STATS_BATCH_SHARDS": str(shards),
                "STATS_BATCH_SHARD_HEARTBEAT": "1",
            },
        ).start()
        for _ in range(workers)
    ]
    try:
        if shards > 1:
            names = [w.hostname for w in started]
            wait_for(lambda: shards_shared_out(names, shards), timeout=60, message="shared out")
        total = saves * len(products)
        # In a random order: round robin over 50 products would send every save of a
        # product to the same one of 2 workers (RabbitMQ also hands out in turn).
        order = [p for p in products for _ in range(saves)]
        random.Random(workers).shuffle(order)
        for product in order:
            save_variants([product], 1)

        def flushed() -> int:
            return BatchFlush.objects.aggregate(n=Sum("requests"))["n"] or 0

        wait_for(
            lambda: flushed() >= total, timeout=interval + 120, message="every request flushed"
        )
        wait_for(lambda: not ProductStaleness.objects.exists(), timeout=60, message="fresh")
        figures = BatchFlush.objects.aggregate(
            requests=Sum("requests"), computed=Sum("computed"), skipped=Sum("skipped_current")
        )
        return {
            "routing": f"{shards} shards" if shards > 1 else "one queue",
            "workers": workers,
            "saves": total,
            "flushes": BatchFlush.objects.count(),
            "requests": figures["requests"] or 0,
            "computed": figures["computed"] or 0,
            "handled": (figures["computed"] or 0) + (figures["skipped"] or 0),
            "skipped": figures["skipped"] or 0,
            "per_product": ((figures["computed"] or 0) + (figures["skipped"] or 0)) / len(products),
        }
    finally:
        for worker in started:
            worker.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--saves", type=int, default=10, help="saves of each product")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--shards", type=int, default=8, help="shard queues (0: baseline only)")
    parser.add_argument(
        "--interval", type=int, default=90, help="flush interval: longer than the burst takes"
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if Product.objects.count() < args.products:
        catalog_seed(products=args.products)
    products = list(Product.objects.filter(variants__isnull=False).distinct()[: args.products])
    product_stats_recompute(product_ids=[p.pk for p in products], force=True)
    ProductStaleness.objects.all().delete()

    print(
        "routing      workers  saves  flushes  products handled  per product  recomputed  "
        "skipped (current)  vs one queue"
    )
    for count in (int(n) for n in args.workers.split(",")):
        time.sleep(1)
        baseline = _burst(count, products, args.saves, args.interval)
        _print(baseline, baseline)
        if args.shards > 1:
            with publishing_to_shards(args.shards):
                time.sleep(1)
                _print(_burst(count, products, args.saves, args.interval, args.shards), baseline)


def _print(row: dict, baseline: dict) -> None:
    print(
        f"{row['routing']:<11}  {row['workers']:>7}  {row['saves']:>5}  {row['flushes']:>7}  "
        f"{row['handled']:>16}  {row['per_product']:>11.2f}  {row['computed']:>10}  "
        f"{row['skipped']:>17}  {row['per_product'] / baseline['per_product']:>11.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
