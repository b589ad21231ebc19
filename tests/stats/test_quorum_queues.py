"""The batch and bulk paths on quorum queues (CELERY_QUEUE_TYPE=quorum: make test-cluster).

Quorum queues have no global QoS, so each consumer gets the worker's prefetch of its own;
the batch worker must still hold two full batches on stats.batch, ack them (one multiple
ack where it can) and de-duplicate, and stats.bulk must keep one active consumer.
"""

import urllib.error

import pytest

from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_STATS_NOW
from stats.models import BatchFlush, BulkChunk, BulkRun
from testkit.checks import save_variants
from testkit.cluster import queue_info
from testkit.workers import queue_counts, wait_for
from tests.stats.batch.test_batch_worker import _products, _refresh_categories, _settle
from tests.stats.batch.test_sharded_workers import two_workers_recompute_each_product_once
from tests.stats.bulk.test_bulk_worker import SPACING, _catalog, _run, _start_run

pytestmark = [pytest.mark.quorum, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _settled(name: str) -> bool:
    info = queue_info(name)
    return info.get("messages_ready") == 0 and info.get("messages_unacknowledged") == 0


def test_the_batch_path_on_quorum_queues_flushes_full_batches_deduplicates_and_acks(
    workers, product_factory, variant_factory
):
    from testkit.checks import all_statistics_correct, statistics_errors

    products = _products(product_factory, variant_factory, 20)
    _settle(products)
    save_variants(products, 250)
    assert queue_counts(QUEUE_STATS_BATCH) == (250, 0)

    worker = workers([QUEUE_STATS_BATCH, QUEUE_STATS_NOW], STATS_BATCH_FLUSH_INTERVAL="3")
    wait_for(lambda: BatchFlush.objects.count() >= 3, timeout=40, message="3 flushes")

    flushes = list(BatchFlush.objects.order_by("flushed_at", "id"))
    # Per-consumer prefetch (2 x flush_every) still lets the count flush full batches.
    assert [f.requests for f in flushes] == [100, 100, 50], worker.log()
    assert all(f.products <= 20 for f in flushes)  # 250 requests, at most 20 recomputes each
    info = queue_info(QUEUE_STATS_BATCH)
    assert info["type"] == "quorum"
    assert info["arguments"]["x-delivery-limit"] >= 1
    # Every request acked: nothing left ready or unacked once the management API catches up.
    wait_for(lambda: _settled(QUEUE_STATS_BATCH), timeout=30, message="all acked")
    assert "Global QoS is disabled" in worker.log()
    with pytest.raises(urllib.error.HTTPError):  # no native delayed delivery queues
        queue_info("celery_delayed_0")
    _refresh_categories()
    assert all_statistics_correct(), statistics_errors()


def test_the_bulk_queue_keeps_a_single_active_consumer_on_quorum_queues(
    workers, product_factory, variant_factory
):
    _catalog(product_factory, variant_factory, 4)
    first = workers(QUEUE_STATS_BULK, STATS_BULK_RATE_LIMIT="20/m")
    second = workers(QUEUE_STATS_BULK, STATS_BULK_RATE_LIMIT="20/m")

    info = queue_info(QUEUE_STATS_BULK)
    assert info["type"] == "quorum"
    assert info["arguments"]["x-single-active-consumer"] is True
    wait_for(
        lambda: len(queue_info(QUEUE_STATS_BULK).get("consumer_details") or []) == 2,
        timeout=30,
        message="two consumers listed",
    )
    active = [c for c in queue_info(QUEUE_STATS_BULK)["consumer_details"] if c["active"]]
    assert len(active) == 1

    run = _start_run()
    wait_for(lambda: not _run(run).is_active, timeout=4 * SPACING + 60, message="run done")
    assert _run(run).status == BulkRun.Status.DONE
    # Only the active consumer worked: one worker did every chunk, at the rate.
    assert len({c.worker for c in BulkChunk.objects.filter(run=run)}) == 1
    assert {c.worker for c in BulkChunk.objects.filter(run=run)} <= {
        first.hostname,
        second.hostname,
    }


def test_batch_shards_on_quorum_queues_still_recompute_each_product_once(
    sharded_worker, shard_queues, product_factory, variant_factory
):
    # Per-consumer prefetch on every shard consumer: each worker still flushes its 40 by count.
    two_workers_recompute_each_product_once(
        sharded_worker, shard_queues, product_factory, variant_factory
    )
    for name in shard_queues:
        info = queue_info(name)
        assert info["type"] == "quorum"
        assert info["arguments"]["x-single-active-consumer"] is True
