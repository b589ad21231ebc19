"""Several batch workers on shard queues: real workers, real RabbitMQ, real MariaDB.

STATS_BATCH_SHARDS=4 and two workers: each product's saves meet in one buffer, a stopped
or killed worker's shards are taken over, and no product stays wrong.
"""

import random
import signal
import threading

import pytest
from django.db import connection
from django.db.models import Sum

from config.queues import QUEUE_STATS_BATCH
from stats.batch.leases import shards_for
from stats.batch.tasks import category_stats_refresh
from stats.models import BatchFlush, BatchWorkerLease, CategoryStaleness, ProductStaleness
from stats.recompute.products import product_stats_recompute
from testkit.checks import all_statistics_correct, save_variants, statistics_errors
from testkit.shards import shards_shared_out
from testkit.workers import WorkerProcess, purge_queue, queue_counts, rabbitmqctl_queues, wait_for
from tests.factories import shop_in_currencies
from tests.stats.conftest import SHARDS

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _owners() -> dict[str, list[int]]:
    return {lease.worker: sorted(lease.shards) for lease in BatchWorkerLease.objects.all()}


def _shared_out(*workers: WorkerProcess) -> bool:
    return shards_shared_out([w.hostname for w in workers], SHARDS)


def _by_shard(products, per_shard: int) -> list:
    """``per_shard`` products of each shard (product id % SHARDS)."""
    chosen = []
    for shard in range(SHARDS):
        chosen += [p for p in products if p.pk % SHARDS == shard][:per_shard]
    assert len(chosen) == SHARDS * per_shard
    return chosen


def _settle(products, shard_queues) -> None:
    product_stats_recompute(product_ids=[p.pk for p in products])
    for name in [*shard_queues, QUEUE_STATS_BATCH]:
        purge_queue(name)
    BatchFlush.objects.all().delete()


def _all_right() -> bool:
    """Every product fresh, then the categories refreshed as beat would: all as from scratch."""
    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=60, message="fresh products")
    if CategoryStaleness.objects.exists():
        category_stats_refresh.delay()
        wait_for(lambda: not CategoryStaleness.objects.exists(), timeout=30, message="refresh")
    return all_statistics_correct()


def test_two_workers_recompute_each_product_once_per_burst_and_a_warm_stop_hands_over(
    sharded_worker, shard_queues, product_factory, variant_factory
):
    first, second = two_workers_recompute_each_product_once(
        sharded_worker, shard_queues, product_factory, variant_factory
    )
    first.stop()
    assert first.hostname not in _owners()  # released at once, not left to expire
    wait_for(lambda: _shared_out(second), timeout=15, message="the survivor takes all shards")
    wait_for(
        lambda: all(queue_counts(name)[1] == 1 for name in shard_queues),
        timeout=15,
        message="one consumer on every shard",
    )


def two_workers_recompute_each_product_once(
    sharded_worker, shard_queues, product_factory, variant_factory
) -> tuple[WorkerProcess, WorkerProcess]:
    """A burst of saves over two workers and four shards: one recompute per product."""
    created = shop_in_currencies(product_factory, variant_factory, 28)
    _settle(created, shard_queues)
    products = _by_shard(created, 5)
    # Each worker gets 2 shards x 5 products x 4 saves = 40 requests: flushed by count,
    # in one batch each, whatever the timing (the interval is out of reach).
    env = {"STATS_BATCH_FLUSH_EVERY": "40", "STATS_BATCH_FLUSH_INTERVAL": "120"}
    first, second = sharded_worker(**env), sharded_worker(**env)
    wait_for(lambda: _shared_out(first, second), timeout=30, message="2 shards each")

    order = [p for p in products for _ in range(4)]
    random.Random(17).shuffle(order)
    for product in order:
        save_variants([product], 1)
    wait_for(lambda: BatchFlush.objects.count() >= 2, timeout=60, message="one flush per worker")

    flushes = list(BatchFlush.objects.all())
    assert sorted(f.worker for f in flushes) == sorted([first.hostname, second.hostname])
    assert [f.requests for f in flushes] == [40, 40]
    handled = BatchFlush.objects.aggregate(n=Sum("computed") + Sum("skipped_current"))["n"]
    assert handled == len(products)  # each product recomputed once, by its shard's worker
    assert _all_right(), statistics_errors()
    return first, second


def test_a_killed_workers_shards_are_taken_over_and_no_product_stays_wrong(
    sharded_worker, shard_queues, product_factory, variant_factory
):
    products = shop_in_currencies(product_factory, variant_factory, 24)
    _settle(products, shard_queues)
    env = {"STATS_BATCH_FLUSH_EVERY": "20", "STATS_BATCH_FLUSH_INTERVAL": "1"}
    doomed, survivor = sharded_worker(**env), sharded_worker(**env)
    wait_for(lambda: _shared_out(doomed, survivor), timeout=30, message="2 shards each")

    done = threading.Event()

    def saves() -> None:
        try:
            for round_ in range(6):
                save_variants(random.Random(round_).sample(products, len(products)), 24)
        finally:
            connection.close()
            done.set()

    saver = threading.Thread(target=saves)
    saver.start()
    wait_for(lambda: BatchFlush.objects.filter(worker=doomed.hostname).exists(), timeout=30)
    doomed.kill(signal.SIGKILL)  # mid-burst: its buffered requests go back to its shards
    saver.join(120)
    assert done.is_set()

    wait_for(lambda: _shared_out(survivor), timeout=30, message="the survivor takes all shards")
    wait_for(
        lambda: all(queue_counts(name) == (0, 1) for name in shard_queues),
        timeout=60,
        message="every shard drained by the survivor",
    )
    assert _all_right(), statistics_errors()


def test_requests_buffered_from_a_shard_given_away_are_still_flushed_and_acked(
    sharded_worker, shard_queues, product_factory, variant_factory
):
    products = shop_in_currencies(product_factory, variant_factory, 12)
    _settle(products, shard_queues)
    env = {"STATS_BATCH_FLUSH_EVERY": "25", "STATS_BATCH_FLUSH_INTERVAL": "120"}
    first = sharded_worker(**env)
    wait_for(lambda: _shared_out(first), timeout=30, message="all shards")
    save_variants(products, 24)  # buffered by the only worker, from all four shards
    wait_for(
        lambda: (
            sum(q["unacked"] for n, q in rabbitmqctl_queues().items() if n in shard_queues) == 24
        ),
        timeout=30,
        message="24 buffered",
    )

    second = sharded_worker(**env)
    wait_for(lambda: _shared_out(first, second), timeout=30, message="2 shards each")
    # first cancelled two shards while holding their requests; one more save to a shard it
    # kept makes 25 and flushes them all by count.
    kept = shards_for(worker=first.hostname, live=[first.hostname, second.hostname], shards=SHARDS)
    save_variants([next(p for p in products if p.pk % SHARDS in kept)], 1)
    wait_for(lambda: BatchFlush.objects.exists(), timeout=30, message="the flush")

    assert [(f.worker, f.requests) for f in BatchFlush.objects.all()] == [(first.hostname, 25)]
    wait_for(
        lambda: all(
            (q["ready"], q["unacked"]) == (0, 0)
            for n, q in rabbitmqctl_queues().items()
            if n in shard_queues
        ),
        timeout=30,
        message="every request acked, none handed to the new owner",
    )
    assert not BatchFlush.objects.exclude(worker=first.hostname).exists()
    assert _all_right(), statistics_errors()
