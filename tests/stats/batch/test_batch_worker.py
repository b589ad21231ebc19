"""The batched recompute against a real worker process, real RabbitMQ and real MariaDB."""

import logging
import signal
from datetime import timedelta

import pytest

from config.queues import QUEUE_STATS_BATCH
from stats.batch.tasks import category_stats_refresh, send_recompute_requests, stale_sweep
from stats.models import BatchFlush, CategoryStaleness, ProductStaleness
from stats.recompute.marks import product_stats_mark_stale
from stats.recompute.products import product_stats_recompute
from stats.recompute.selectors import stale_products
from testkit.checks import all_statistics_correct, save_variants, statistics_errors
from testkit.workers import (
    WorkerProcess,
    purge_queue,
    queue_counts,
    unreachable_broker,
    wait_for,
)
from tests.factories import shop_in_currencies

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

INTERVAL = 3  # seconds: the test flush interval


@pytest.fixture
def batch_worker(workers):
    """Batch workers with the test flush interval; all are killed at teardown."""

    def start(interval: int = INTERVAL, **env: str) -> WorkerProcess:
        fast = {"STATS_BATCH_FLUSH_INTERVAL": str(interval), "STATS_STALE_MARGIN": "0"}
        return workers(QUEUE_STATS_BATCH, **(fast | env))

    return start


def _products(product_factory, variant_factory, count: int) -> list:
    products = shop_in_currencies(product_factory, variant_factory, count)
    return products


def _settle(products) -> None:
    """Creating fixtures queued requests too: recompute now and drop them from the queue."""
    product_stats_recompute(product_ids=[p.pk for p in products])
    purge_queue(QUEUE_STATS_BATCH)
    BatchFlush.objects.all().delete()


def _refresh_categories() -> None:
    """What beat does every STATS_CATEGORY_REFRESH_INTERVAL: batches only mark categories."""
    assert CategoryStaleness.objects.exists()
    category_stats_refresh.delay()
    wait_for(lambda: not CategoryStaleness.objects.exists(), timeout=20, message="refresh")


def test_250_saves_over_20_products_flush_as_100_100_50_and_deduplicate(
    batch_worker, product_factory, variant_factory
):
    products = _products(product_factory, variant_factory, 20)
    _settle(products)
    save_variants(products, 250)  # queued while no worker runs: the worker finds 250 ready
    assert queue_counts(QUEUE_STATS_BATCH) == (250, 0)

    worker = batch_worker()
    wait_for(lambda: BatchFlush.objects.count() >= 3, timeout=30, message="3 flushes")

    flushes = list(BatchFlush.objects.order_by("flushed_at", "id"))
    assert [f.requests for f in flushes] == [100, 100, 50], worker.log()
    assert all(f.products <= 20 and f.computed <= 20 for f in flushes)
    _refresh_categories()
    assert all_statistics_correct(), statistics_errors()


def test_messages_of_several_products_count_each_product_toward_flush_every_and_deduplicate(
    batch_worker, product_factory, variant_factory
):
    """A bulk write's requests, a message per chunk: the batch flushes once 100 products
    are in (not 100 messages), and a product in two messages of a batch is computed once."""
    products = _products(product_factory, variant_factory, 100)
    _settle(products)
    ids = sorted(p.pk for p in products)
    product_stats_mark_stale(product_ids=ids)
    for part in (ids[:40], ids[:40], ids[40:70], ids[70:]):  # 40, 80, 110: flush; then 30
        send_recompute_requests((pid, None) for pid in part)
    assert queue_counts(QUEUE_STATS_BATCH) == (4, 0)

    worker = batch_worker(interval=600)  # only the count flushes
    wait_for(lambda: BatchFlush.objects.exists(), timeout=30, message="a flush")

    wait_for(lambda: queue_counts(QUEUE_STATS_BATCH)[0] == 0, timeout=20, message="delivered")
    flushes = [(f.requests, f.products, f.computed) for f in BatchFlush.objects.all()]
    assert flushes == [(110, 70, 70)], worker.log()
    assert set(ProductStaleness.objects.values_list("product_id", flat=True)) == set(ids[70:])


def test_a_lone_save_is_flushed_by_the_interval(batch_worker, product_factory, variant_factory):
    products = _products(product_factory, variant_factory, 1)
    _settle(products)
    batch_worker()
    save_variants(products, 1)

    wait_for(lambda: BatchFlush.objects.exists(), timeout=INTERVAL + 10, message="a flush")
    assert BatchFlush.objects.get().requests == 1
    _refresh_categories()
    assert all_statistics_correct(), statistics_errors()


def test_sigkill_with_50_buffered_requests_loses_nothing(
    batch_worker, product_factory, variant_factory
):
    products = _products(product_factory, variant_factory, 10)
    _settle(products)
    first = batch_worker(interval=600)  # nothing flushes: the 50 requests stay buffered
    save_variants(products, 50)
    wait_for(lambda: queue_counts(QUEUE_STATS_BATCH)[0] == 0, timeout=20, message="all delivered")
    assert not BatchFlush.objects.exists()

    first.kill(signal.SIGKILL)
    assert ProductStaleness.objects.count() == 10
    batch_worker()  # the unacked 50 come back to the queue and to the new worker

    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=INTERVAL + 20)
    assert sum(f.requests for f in BatchFlush.objects.all()) == 50
    _refresh_categories()
    assert all_statistics_correct(), statistics_errors()


def test_warm_shutdown_with_buffered_requests_loses_nothing(
    batch_worker, product_factory, variant_factory
):
    products = _products(product_factory, variant_factory, 5)
    _settle(products)
    first = batch_worker(interval=600)
    save_variants(products, 30)
    wait_for(lambda: queue_counts(QUEUE_STATS_BATCH)[0] == 0, timeout=20, message="all delivered")

    assert first.kill(signal.SIGTERM) == 0
    batch_worker()
    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=INTERVAL + 20)
    _refresh_categories()
    assert all_statistics_correct(), statistics_errors()


def test_a_save_while_the_broker_is_unreachable_succeeds_and_the_sweep_catches_up(
    batch_worker, product_factory, variant_factory, caplog
):
    products = _products(product_factory, variant_factory, 3)
    _settle(products)
    worker = batch_worker()

    with unreachable_broker(), caplog.at_level(logging.ERROR):
        variant = products[0].variants.first()
        variant.price = 1234
        variant.save()  # commits; the on-commit publish fails and is logged
    assert "Could not queue 1 statistics request;" in caplog.text
    assert ProductStaleness.objects.filter(product=products[0]).exists()

    # The backstop (beat sends it every STATS_STALE_SWEEP_INTERVAL) once the broker is
    # back: it takes marks older than the flush interval plus the margin (0 here).
    swept_after = timedelta(seconds=INTERVAL)
    wait_for(
        lambda: products[0].pk in stale_products(older_than=swept_after, limit=10),
        timeout=INTERVAL + 10,
        message="the stale mark to be old enough for the sweep",
    )
    stale_sweep.delay()
    wait_for(all_statistics_correct, timeout=30, message="the sweep recomputed it")
    assert not BatchFlush.objects.exists(), "the lost request must not have reached a batch"
    assert "Stale sweep" in worker.log()
