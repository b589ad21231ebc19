"""RabbitMQ restarted (``rabbitmqctl stop_app`` / ``start_app``) under running workers.

A batch worker holds buffered requests and a bulk run is in flight when the broker goes
away; editors keep saving meanwhile. Afterwards the same worker processes must be
consuming again, the batch worker flushing (the celery-batches stuck-timer failure must
not happen: ``LeanBatches.start_consumer`` repairs it, ``BatchFlushWatchdog`` is the
last resort), and the bulk run must finish.
"""

import subprocess

import pytest

from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from stats.batch.tasks import stale_sweep
from stats.bulk.services import bulk_run_start
from stats.bulk.tasks import publish_bulk_chunks
from stats.models import BatchFlush, BulkRun, ProductStaleness
from stats.recompute.categories import category_stats_refresh_stale
from stats.recompute.products import product_stats_recompute
from testkit.checks import save_variants, statistics_errors
from testkit.workers import purge_queue, rabbitmqctl_queues, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.restarts_broker,
    pytest.mark.django_db(transaction=True),
]

INTERVAL = 3


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
def rabbitmq_restart(broker_url):
    yield lambda: (_rabbitmqctl("stop_app"), _rabbitmqctl("start_app"))
    _rabbitmqctl("start_app")  # whatever happened, leave the broker running
    _rabbitmqctl("await_startup")


def _consumers(queue: str) -> int:
    return rabbitmqctl_queues().get(queue, {}).get("consumers", 0)


def test_a_broker_restart_loses_nothing_and_every_worker_carries_on(
    workers, rabbitmq_restart, product_factory, variant_factory
):
    # workers before rabbitmq_restart: the broker is back before workers' teardown purges.
    products = product_factory.create_batch(10)
    for product in products:
        variant_factory(product=product)
    product_stats_recompute(product_ids=[p.pk for p in products])
    purge_queue(QUEUE_STATS_BATCH)
    batch = workers(
        QUEUE_STATS_BATCH, STATS_BATCH_FLUSH_INTERVAL=str(INTERVAL), STATS_STALE_MARGIN="0"
    )
    bulk = workers(QUEUE_STATS_BULK, STATS_BULK_RATE_LIMIT="30/m")
    run = bulk_run_start(trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.ALL, chunk_size=1)
    publish_bulk_chunks(run_id=run.pk)  # 10 chunks, one every 2 s
    BatchFlush.objects.all().delete()
    save_variants(products, 20)  # buffered: fewer than flush_every, waiting for the timer

    rabbitmq_restart()
    save_variants(products[:3], 3)  # saves while the broker comes back still succeed
    wait_for(
        lambda: _consumers(QUEUE_STATS_BATCH) == 1 and _consumers(QUEUE_STATS_BULK) == 1,
        timeout=60,
        message="both workers reconnected",
    )
    save_variants(products[3:6], 3)  # after the restart, queued normally
    # Flushed by the timer (or the watchdog) of the same worker, not a restarted one.
    wait_for(
        lambda: not ProductStaleness.objects.filter(product__in=products[3:6]).exists(),
        timeout=4 * INTERVAL + 30,
        message="flushes after the restart",
    )
    wait_for(
        lambda: not BulkRun.objects.get(pk=run.pk).is_active,
        timeout=90,
        message="the bulk run to finish",
    )
    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.products_done) == ("done", 10, 10)
    assert batch.process.poll() is None, batch.log()
    assert bulk.process.poll() is None, bulk.log()

    # Saves whose publish failed during the restart are caught by the sweep.
    stale_sweep.delay()
    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=30, message="sweep")
    category_stats_refresh_stale()
    assert statistics_errors() == []
