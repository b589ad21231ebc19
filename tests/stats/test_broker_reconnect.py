"""A batch worker's broker connection cut while it holds buffered requests (no broker restart).

celery-batches 0.11 leaves the old consumer's flush timer in the task after a reconnect, so
fewer than ``flush_every`` requests were never flushed by the timer again (its issues
#99/#107); ``LeanBatches.start_consumer`` takes upstream's fix (#108). Here the worker's
connections are closed by RabbitMQ (``testkit.broker_cut``): the requests it held come back from
RabbitMQ and must be flushed within the flush interval and a few seconds, by the timer
and not by the last-resort watchdog, with nothing left unacked.
"""

import time

import pytest

from config.celery import app
from config.queues import QUEUE_STATS_BATCH
from stats.models import ProductStaleness
from stats.recompute.categories import category_stats_refresh_stale
from stats.recompute.products import product_stats_recompute
from testkit.broker_cut import close_worker_connections
from testkit.checks import save_variants, statistics_errors
from testkit.workers import broker_vhost, purge_queue, rabbitmqctl_queues, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

INTERVAL = 8


def _buffered(hostname: str) -> int:
    replies = app.control.broadcast("batch_buffer", destination=[hostname], reply=True, timeout=1.0)
    return sum(
        figures.get("buffered", 0)
        for reply in replies or []
        for tasks in reply.values()
        for figures in tasks.values()
        if isinstance(figures, dict)
    )


def _held(queue: str) -> tuple[int, int]:
    """(ready, unacked) as RabbitMQ counts them now (the management API lags)."""
    figures = rabbitmqctl_queues().get(queue, {})
    return figures.get("ready", 0), figures.get("unacked", 0)


def test_after_a_reconnect_the_buffer_is_flushed_by_the_timer_and_nothing_stays_unacked(
    workers, product_factory, variant_factory
):
    products = product_factory.create_batch(10)
    for product in products:
        variant_factory(product=product)
    product_stats_recompute(product_ids=[p.pk for p in products])
    purge_queue(QUEUE_STATS_BATCH)
    worker = workers(
        QUEUE_STATS_BATCH, STATS_BATCH_FLUSH_INTERVAL=str(INTERVAL), STATS_STALE_MARGIN="0"
    )
    save_variants(products, 20)  # fewer than flush_every: only the timer flushes them
    wait_for(lambda: _buffered(worker.hostname) == 20, timeout=INTERVAL / 2, message="buffered")

    assert close_worker_connections(broker_vhost(), worker.process.pid)
    wait_for(lambda: worker.log().count("Connected to amqp") == 2, timeout=30, message="reconnect")
    reconnected = time.monotonic()
    wait_for(
        lambda: not ProductStaleness.objects.filter(product__in=products).exists(),
        timeout=INTERVAL + 5,
        message="the redelivered requests flushed within the flush interval",
    )
    assert time.monotonic() - reconnected <= INTERVAL + 5
    assert "dropped 20 buffered requests of the previous broker connection" in worker.log()
    wait_for(lambda: _buffered(worker.hostname) == 0, timeout=10, message="buffer empty")
    wait_for(lambda: _held(QUEUE_STATS_BATCH) == (0, 0), timeout=15, message="nothing unacked")
    assert rabbitmqctl_queues()[QUEUE_STATS_BATCH]["consumers"] == 1
    assert worker.process.poll() is None, worker.log()
    assert "re-arming its flush timer" not in worker.log()  # the timer did it, not the watchdog
    category_stats_refresh_stale()  # the category roll-up follows on its own schedule
    assert statistics_errors() == []
