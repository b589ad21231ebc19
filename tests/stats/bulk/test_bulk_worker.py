"""Bulk runs against real bulk workers, real RabbitMQ and real MariaDB."""

import itertools
import signal
import time

import pytest

from config.queues import QUEUE_STATS_BULK
from stats.bulk.selectors import seconds_per_task
from stats.bulk.services import bulk_run_cancel, bulk_run_start
from stats.bulk.tasks import publish_bulk_chunks
from stats.models import BulkChunk, BulkRun
from stats.recompute.categories import category_stats_refresh_stale
from stats.recompute.products import product_stats_recompute
from testkit.checks import statistics_errors
from testkit.workers import WorkerProcess, rabbitmqctl_queues, row_locked, wait_for
from tests.factories import shop_in_currencies

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RATE = "20/m"  # one chunk every 3 s: fast enough for a test, slow enough to measure
SPACING = seconds_per_task(RATE)


@pytest.fixture
def bulk_worker(workers):
    """Bulk workers at the test rate; all are killed at teardown."""

    def start(rate: str = RATE, **env: str) -> WorkerProcess:
        return workers(QUEUE_STATS_BULK, **({"STATS_BULK_RATE_LIMIT": rate} | env))

    return start


def _catalog(product_factory, variant_factory, count: int) -> list:
    products = shop_in_currencies(product_factory, variant_factory, count)
    return products


def _start_run(chunk_size: int = 1, rate: str = RATE, **kwargs) -> BulkRun:
    from django.test import override_settings

    with override_settings(STATS_BULK_RATE_LIMIT=rate):
        run = bulk_run_start(
            trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.ALL, chunk_size=chunk_size, **kwargs
        )
    publish_bulk_chunks(run_id=run.pk)
    return run


def _starts(run: BulkRun) -> list[float]:
    return sorted(
        c.started_at.timestamp() for c in BulkChunk.objects.filter(run=run) if c.started_at
    )


def _gaps(starts: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(starts)]


def _run(run: BulkRun) -> BulkRun:
    run.refresh_from_db()
    return run


def test_a_run_completes_at_the_rate_limit_with_correct_statistics(
    bulk_worker, product_factory, variant_factory
):
    _catalog(product_factory, variant_factory, 10)
    run = _start_run()
    bulk_worker()

    wait_for(lambda: not _run(run).is_active, timeout=10 * SPACING + 30, message="run done")

    assert (run.status, run.chunks_done, run.products_done) == ("done", 10, 10)
    gaps = _gaps(_starts(run))
    assert min(gaps) >= SPACING * 0.9, gaps
    category_stats_refresh_stale()  # beat's periodic refresh of the marked categories
    assert statistics_errors() == []


def test_2000_queued_chunks_stay_on_the_broker_with_at_most_one_unacked(
    bulk_worker, product_factory
):
    from catalog.models import Product

    Product.objects.bulk_create(
        [Product(sku=f"BULK-{n:05d}", name=f"Bulk {n}", slug=f"bulk-{n}") for n in range(2000)]
    )
    run = _start_run(rate="1/m")
    assert run.chunks_total == 2000
    bulk_worker(rate="1/m")  # runs one chunk, then holds the next waiting for a token

    wait_for(lambda: _run(run).chunks_done >= 1, timeout=30, message="first chunk")
    # A deliberate sampling over 5 s, not a wait for a condition: what is proved is that
    # the worker does NOT take more of the backlog while it waits for a token.
    for _ in range(5):
        queue = rabbitmqctl_queues()[QUEUE_STATS_BULK]
        assert queue["unacked"] <= 1, queue
        assert queue["ready"] >= 2000 - 3, queue
        assert queue["consumers"] == 1
        time.sleep(1)


def test_cancelling_mid_run_stops_the_remaining_chunks(
    bulk_worker, product_factory, variant_factory
):
    _catalog(product_factory, variant_factory, 6)
    run = _start_run()
    bulk_worker()
    wait_for(lambda: _run(run).chunks_done >= 2, timeout=3 * SPACING + 30, message="2 chunks")

    bulk_run_cancel(run_id=run.pk)
    done_at_cancel = _run(run).chunks_done
    # The remaining messages still pass through (each takes a token) but do no work.
    wait_for(
        lambda: (
            rabbitmqctl_queues()[QUEUE_STATS_BULK]["ready"] == 0
            and rabbitmqctl_queues()[QUEUE_STATS_BULK]["unacked"] == 0
        ),
        timeout=6 * SPACING + 30,
        message="the cancelled messages drained",
    )
    run = _run(run)
    assert run.status == "cancelled"
    assert run.chunks_done == done_at_cancel <= 3
    assert run.chunks_done + run.chunks_cancelled == 6
    assert not BulkChunk.objects.filter(run=run, status__in=["pending", "running"]).exists()


def test_a_failing_chunk_is_retried_then_counted_as_failed(
    bulk_worker, product_factory, variant_factory
):
    products = _catalog(product_factory, variant_factory, 2)
    product_stats_recompute(product_ids=[p.pk for p in products])
    run = _start_run(chunk_size=1)
    blocked = BulkChunk.objects.get(run=run, number=1)

    with row_locked("stats_productstats", blocked.product_ids[0]):
        bulk_worker(STATS_BULK_MAX_ATTEMPTS="2", DATABASE_LOCK_WAIT_TIMEOUT="1")
        wait_for(lambda: not _run(run).is_active, timeout=6 * SPACING + 30, message="run end")

    run = _run(run)
    blocked.refresh_from_db()
    assert (run.status, run.chunks_failed, run.chunks_done) == ("failed", 1, 1)
    assert (blocked.status, blocked.attempts) == ("failed", 2)
    assert "Lock wait timeout" in blocked.last_error


def test_the_standby_takes_over_when_the_active_bulk_worker_is_killed(
    bulk_worker, product_factory, variant_factory
):
    _catalog(product_factory, variant_factory, 8)
    first = bulk_worker()
    second = bulk_worker()
    queue = rabbitmqctl_queues()[QUEUE_STATS_BULK]
    assert queue["consumers"] == 2  # one active, one standby (single active consumer)

    run = _start_run()
    wait_for(lambda: _run(run).chunks_done >= 3, timeout=3 * SPACING + 30, message="3 chunks")
    active_name = BulkChunk.objects.filter(run=run).exclude(worker="").latest("started_at").worker
    active, standby = (first, second) if active_name == first.hostname else (second, first)
    active.kill(signal.SIGKILL)

    wait_for(lambda: not _run(run).is_active, timeout=8 * SPACING + 60, message="run done")

    run = _run(run)
    assert (run.status, run.chunks_done, run.products_done) == ("done", 8, 8)
    chunks = BulkChunk.objects.filter(run=run)
    assert set(chunks.values_list("status", flat=True)) == {"done"}
    assert {c.worker for c in chunks} == {active.hostname, standby.hostname}
    gaps = _gaps(_starts(run))
    # The standby's token bucket starts full: one early start at takeover is expected.
    detail = [
        (c.number, c.worker.split("-")[-1], c.attempts, round(c.started_at.timestamp() % 1000, 2))
        for c in chunks.order_by("started_at")
    ]
    assert sum(gap < SPACING * 0.9 for gap in gaps) <= 1, (gaps, detail)


def test_a_cancelled_runs_messages_take_no_rate_limit_tokens(
    bulk_worker, product_factory, variant_factory
):
    """After a cancel, the next run starts within one token interval, not after the
    cancelled run's remaining messages each took a token doing nothing."""
    _catalog(product_factory, variant_factory, 5)
    rate, spacing = "10/m", seconds_per_task("10/m")
    cancelled = _start_run(rate=rate)  # 5 chunks, all on the queue
    bulk_worker(rate)
    wait_for(lambda: _run(cancelled).chunks_done >= 1, timeout=60, message="a first chunk")
    bulk_run_cancel(run_id=cancelled.pk)  # 4 messages left that will do nothing
    following = _start_run(chunk_size=5, rate=rate)  # one chunk, behind those 4 messages

    wait_for(lambda: _starts(following), timeout=8 * spacing, message="the next run's chunk")

    waited = _starts(following)[0] - following.created_at.timestamp()
    # Within one token interval (the cancelled run's first chunk took the last token),
    # plus a few seconds for the message's hops; one token per cancelled message would
    # make it four intervals or more.
    assert waited < spacing + 3, f"waited {waited:.1f} s at one token per {spacing:.0f} s"
    assert _run(cancelled).chunks_cancelled == 4
    assert not BulkChunk.objects.filter(run=cancelled, status="cancelled", attempts__gt=0).exists()
