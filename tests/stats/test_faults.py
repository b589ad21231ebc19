"""Faults survived by real workers (real RabbitMQ, real MariaDB): each ends with correct figures.

Slow database work is made on purpose by holding a row lock from a second connection
(the worker waits on it in MariaDB, a real "mid-batch" state) and the database is taken
away from one worker with a TCP proxy between them (``tests/netproxy.py``), so the
shared MariaDB server keeps serving everyone else.
"""

import signal
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Category
from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from stats.batch.tasks import stale_sweep
from stats.bulk.services import bulk_run_start
from stats.bulk.tasks import publish_bulk_chunks
from stats.models import BatchFlush, BulkChunk, BulkRun, ProductStaleness
from stats.recompute.categories import category_stats_refresh_stale
from stats.recompute.products import product_stats_recompute
from testkit.checks import save_variants, statistics_errors
from testkit.netproxy import CuttableProxy
from testkit.workers import (
    WorkerProcess,
    database_url_for_subprocess,
    purge_queue,
    queue_counts,
    row_locked,
    wait_for,
)
from tests.factories import shop_in_currencies

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

INTERVAL = 3  # seconds: the test flush interval


@pytest.fixture
def workers(workers):
    """The shared fixture, with a short flush interval and no sweep margin by default."""

    def start(queue: str = QUEUE_STATS_BATCH, *, concurrency: int = 1, **env: str) -> WorkerProcess:
        fast = {"STATS_BATCH_FLUSH_INTERVAL": str(INTERVAL), "STATS_STALE_MARGIN": "0"}
        return workers(queue, concurrency=concurrency, **(fast | env))

    return start


def _catalog(product_factory, variant_factory, count: int) -> list:
    products = shop_in_currencies(product_factory, variant_factory, count)
    # Creating them queued requests: compute now and start from an empty queue.
    product_stats_recompute(product_ids=[p.pk for p in products])
    purge_queue(QUEUE_STATS_BATCH)
    BatchFlush.objects.all().delete()
    return products


def _stale(products) -> set[int]:
    return set(
        ProductStaleness.objects.filter(product__in=products).values_list("product_id", flat=True)
    )


def _sweep_and_check() -> None:
    """What beat does (sweep, category refresh), then compare with a from-scratch computation."""
    stale_sweep.delay()
    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=30, message="the sweep")
    category_stats_refresh_stale()
    assert statistics_errors() == []


def _lock_waits() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS")
        return cursor.fetchone()[0]


def test_a_database_outage_during_a_batch_leaves_its_products_stale_until_the_sweep(
    workers, product_factory, variant_factory
):
    products = _catalog(product_factory, variant_factory, 10)
    db = connection.settings_dict
    proxy = CuttableProxy(target_host=db["HOST"] or "127.0.0.1", target_port=int(db["PORT"]))
    direct = database_url_for_subprocess()
    through_proxy = direct.replace(f":{db['PORT']}/", f":{proxy.port}/")
    try:
        worker = workers(DATABASE_URL=through_proxy)
        proxy.cut()
        save_variants(products[:5], 10)  # the editors' saves reach MariaDB; the worker cannot
        # The batch is flushed by the interval and fails for want of a database.
        wait_for(
            lambda: "failed; they stay stale" in worker.log() or "OperationalError" in worker.log(),
            timeout=INTERVAL + 20,
            message="the batch to fail",
        )
        assert _stale(products[:5]) == {p.pk for p in products[:5]}
        proxy.restore()

        # The same worker carries on: new saves are flushed and computed.
        save_variants(products[5:], 5)
        wait_for(lambda: not _stale(products[5:]), timeout=INTERVAL + 20, message="new flush")
        assert worker.process.poll() is None, worker.log()
        assert _stale(products[:5]) == {p.pk for p in products[:5]}  # only the sweep fixes them
        _sweep_and_check()
    finally:
        proxy.close()


def test_a_batch_worker_killed_mid_batch_leaves_nothing_wrong(
    workers, product_factory, variant_factory
):
    products = _catalog(product_factory, variant_factory, 10)
    with row_locked("stats_productstats", products[0].pk):
        first = workers()
        save_variants(products, 20)
        wait_for(lambda: _lock_waits() > 0, timeout=INTERVAL + 20, message="the batch to block")
        first.kill(signal.SIGKILL)  # mid-batch: its transaction dies with its connection
    assert _stale(products) == {p.pk for p in products}

    workers()
    _sweep_and_check()


def test_a_finished_batch_never_acks_another_task_still_running_on_the_channel(
    workers, product_factory, variant_factory
):
    # A batch is acked with one "multiple" ack when it can be (stats.worker_control's
    # AckLedger); that ack must not settle the sweep's message, delivered before the
    # batch on the same channel and still running when the batch returns.
    products = _catalog(product_factory, variant_factory, 11)
    blocked, saved = products[0], products[1:]
    ProductStaleness.objects.create(product=blocked, stale_since=timezone.now() - timedelta(1))
    with row_locked("stats_productstats", blocked.pk):
        worker = workers(concurrency=2, STATS_BATCH_FLUSH_EVERY="10")
        stale_sweep.delay()
        wait_for(lambda: _lock_waits() > 0, timeout=20, message="the sweep to block")
        save_variants(saved, 10)
        wait_for(lambda: not _stale(saved), timeout=INTERVAL + 20, message="the batch")
        assert queue_counts(QUEUE_STATS_BATCH)[0] == 0
        worker.kill(signal.SIGKILL)
        # Unacked, so RabbitMQ puts it back when the worker's connection dies.
        wait_for(
            lambda: queue_counts(QUEUE_STATS_BATCH)[0] == 1,
            timeout=10,
            message="the sweep's message back in the queue",
        )
    assert "Traceback" not in worker.log(), worker.log()


def test_a_warm_shutdown_mid_batch_finishes_the_batch_first(
    workers, product_factory, variant_factory
):
    products = _catalog(product_factory, variant_factory, 10)
    with row_locked("stats_productstats", products[0].pk):
        worker = workers()
        save_variants(products, 20)
        wait_for(lambda: _lock_waits() > 0, timeout=INTERVAL + 20, message="the batch to block")
        worker.process.send_signal(signal.SIGTERM)
        # Still blocked: a warm shutdown waits for the batch it is running.
        with pytest.raises(AssertionError):
            wait_for(lambda: worker.process.poll() is not None, timeout=2)
    assert worker.process.wait(60) == 0, worker.log()
    assert not _stale(products), worker.log()
    category_stats_refresh_stale()
    assert statistics_errors() == []


def test_a_bulk_worker_killed_mid_chunk_counts_no_chunk_twice(
    workers, product_factory, variant_factory
):
    products = _catalog(product_factory, variant_factory, 6)
    run = bulk_run_start(trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.ALL, chunk_size=2)
    publish_bulk_chunks(run_id=run.pk)
    blocked = BulkChunk.objects.get(run=run, number=1)
    bulk = {"STATS_BULK_RATE_LIMIT": "120/m"}
    with row_locked("stats_productstats", blocked.product_ids[0]):
        first = workers(QUEUE_STATS_BULK, **bulk)
        wait_for(lambda: _lock_waits() > 0, timeout=30, message="a chunk to block")
        first.kill(signal.SIGKILL)  # the unacked chunk goes back to the queue
    workers(QUEUE_STATS_BULK, **bulk)

    def finished() -> bool:
        run.refresh_from_db()
        return not run.is_active

    wait_for(finished, timeout=60, message="the run to finish")
    assert (run.status, run.chunks_done, run.chunks_failed) == ("done", 3, 0)
    assert run.products_done == len(products)
    assert set(BulkChunk.objects.filter(run=run).values_list("status", flat=True)) == {"done"}
    blocked.refresh_from_db()
    assert blocked.attempts == 2  # started by the killed worker, redone by the new one
    category_stats_refresh_stale()
    assert statistics_errors() == []


def test_a_product_deleted_while_its_request_is_buffered_breaks_nothing(
    workers, product_factory, variant_factory
):
    products = _catalog(product_factory, variant_factory, 5)
    worker = workers(STATS_BATCH_FLUSH_INTERVAL="6")
    save_variants(products, 10)
    gone = products.pop(0)
    gone.delete()  # its requests already sit in the worker's buffer

    wait_for(lambda: BatchFlush.objects.exists(), timeout=30, message="a flush")
    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=30, message="all computed")
    flushed = BatchFlush.objects.all()
    assert sum(f.failed for f in flushed) == 0
    assert sum(f.missing for f in flushed) >= 1  # the deleted product, counted, not failed
    assert worker.process.poll() is None, worker.log()
    category_stats_refresh_stale()
    assert statistics_errors() == []


def test_a_category_moved_while_a_bulk_run_covers_it(
    workers, category_factory, product_factory, variant_factory
):
    root = category_factory(name="Root")
    child = category_factory(name="Child", parent=root)
    elsewhere = category_factory(name="Elsewhere")
    products = product_factory.create_batch(3, category=root) + product_factory.create_batch(
        3, category=child
    )
    for product in products:  # the moved subtree takes its USD range with it
        currency = "USD" if product.category_id == child.pk else "EUR"
        variant_factory.create_batch(2, product=product, currency=currency)
    purge_queue(QUEUE_STATS_BATCH)
    run = bulk_run_start(
        trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.CATEGORY, categories=[root], chunk_size=2
    )
    publish_bulk_chunks(run_id=run.pk)
    workers(QUEUE_STATS_BULK, STATS_BULK_RATE_LIMIT="30/m")

    def chunks_done() -> int:
        run.refresh_from_db()
        return run.chunks_done

    wait_for(lambda: chunks_done() >= 1, timeout=30, message="the first chunk")
    child.parent = elsewhere
    child.save()  # mid-run: the rest of the run still covers the products planned for it
    wait_for(lambda: not BulkRun.objects.get(pk=run.pk).is_active, timeout=60, message="the run")

    run.refresh_from_db()
    assert (run.status, run.products_done) == ("done", 6)
    assert Category.objects.get(pk=child.pk).parent_id == elsewhere.pk
    # The move marked both trees: the periodic category refresh alone puts them right.
    category_stats_refresh_stale()
    assert statistics_errors() == []


def test_two_batch_workers_recomputing_the_same_products_agree(
    workers, product_factory, variant_factory
):
    products = _catalog(product_factory, variant_factory, 10)
    first = workers(STATS_BATCH_FLUSH_EVERY="20")
    second = workers(STATS_BATCH_FLUSH_EVERY="20")
    save_variants(products, 200)  # both workers get requests for every product

    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=60, message="all computed")
    flushed = BatchFlush.objects.all()
    assert {f.worker for f in flushed} == {first.hostname, second.hostname}
    assert sum(f.requests for f in flushed) == 200
    assert sum(f.failed for f in flushed) == 0
    category_stats_refresh_stale()
    assert statistics_errors() == []
