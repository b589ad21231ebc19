"""A RabbitMQ node lost under load, on the three-node test cluster (make test-cluster).

Workers and this test connect with a broker URL listing the three nodes (kombu fails over
to the next). Stopping a node closes its connections and moves the leadership of the
quorum queues it led to another node; the messages are replicated, so none is lost.
"""

import logging
import threading
import time

import pytest
from django.conf import settings
from kombu import Connection

from config.celery import app
from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_STATS_NOW
from stats.batch.tasks import stale_sweep
from stats.models import BulkChunk, BulkRun, ProductStaleness
from testkit.checks import all_statistics_correct, save_variants, statistics_errors
from testkit.cluster import (
    consumer_nodes,
    node_number,
    queue_info,
    running_nodes,
    start_node,
    stop_node,
)
from testkit.workers import wait_for
from tests.stats.batch.test_batch_worker import _products, _refresh_categories, _settle
from tests.stats.bulk.test_bulk_worker import SPACING, _catalog, _gaps, _run, _start_run, _starts

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.quorum,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def whole_cluster():
    """Every node serving before the test and again after it, whatever the test stopped."""
    for number in {1, 2, 3} - running_nodes():
        start_node(number)
    yield
    for number in {1, 2, 3} - running_nodes():
        start_node(number)


def _other_node(*numbers: int) -> int:
    return min({1, 2, 3} - set(numbers))


def _node_urls() -> list[str]:
    return settings.CELERY_BROKER_URL.split(";")


def _publishers_node() -> int:
    """The node this process's saves publish through (its producer pool's connection,
    which may have failed over in an earlier test)."""
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=3)
        return int(producer.connection.host.rsplit(":", 1)[1]) - 5700


def _lead_batch_queue_from(node: int) -> None:
    """Delete the (empty) batch queue and declare it through ``node``: RabbitMQ places a
    new quorum queue's leader on the node its declaring client is connected to."""
    with Connection(_node_urls()[node - 1]) as conn:
        queue = app.amqp.queues[QUEUE_STATS_BATCH].bind(conn.default_channel)
        queue.delete()
        queue.declare()


@pytest.mark.parametrize("clients", ["on the leader", "on another node"])
def test_stopping_the_batch_queues_leader_loses_no_request_and_leaves_no_product_wrong(
    clients, whole_cluster, workers, product_factory, variant_factory, caplog
):
    products = _products(product_factory, variant_factory, 10)
    _settle(products)
    # The editors' process and the worker on one node; the leader there or elsewhere.
    publisher = _publishers_node()
    _lead_batch_queue_from(publisher if clients == "on the leader" else _other_node(publisher))
    urls = _node_urls()
    first = urls[publisher - 1 :] + urls[: publisher - 1]
    worker = workers(
        [QUEUE_STATS_BATCH, QUEUE_STATS_NOW],
        STATS_BATCH_FLUSH_INTERVAL="8",
        CELERY_BROKER_URL=";".join(first),
    )
    save_variants(products, 30)  # buffered: the interval has not passed
    wait_for(lambda: queue_info(QUEUE_STATS_BATCH).get("messages_ready") == 0, timeout=20)
    leader = node_number(queue_info(QUEUE_STATS_BATCH)["leader"])
    assert (leader == publisher) == (clients == "on the leader")
    wait_for(lambda: consumer_nodes(QUEUE_STATS_BATCH), timeout=20, message="consumer listed")
    assert {node_number(n) for n in consumer_nodes(QUEUE_STATS_BATCH)} == {publisher}

    caplog.set_level(logging.ERROR, logger="config.outbox")
    stopping = threading.Thread(target=stop_node, args=(leader,))
    outcomes: list[tuple[float, bool]] = []  # (when, published) per save
    started = time.monotonic()
    stopping.start()
    while time.monotonic() - started < 20:  # editors keep saving through the loss
        failures = len(caplog.records)
        save_variants(products[:1], 1)
        outcomes.append((time.monotonic() - started, len(caplog.records) == failures))
        time.sleep(0.2)
    stopping.join()

    survivor = _other_node(leader)
    new_leader = node_number(queue_info(QUEUE_STATS_BATCH, node=survivor)["leader"])
    assert new_leader != leader
    failed = [when for when, published in outcomes if not published]
    # Saves never fail (they commit; a failed publish leaves a stale mark for the sweep),
    # and publishing fails only for one stretch while the client reconnects.
    if failed:
        after = [ok for when, ok in outcomes if when > failed[-1]]
        assert after and all(after), outcomes
    print(
        f"clients {clients}: leader {leader} -> {new_leader}; {len(outcomes)} saves in 20 s, "
        f"{len(failed)} publishes failed over {failed[-1] - failed[0] if failed else 0:.1f} s, "
        f"at {[round(when, 1) for when in failed]} s: "
        f"{sorted({repr(r.exc_info[1]) for r in caplog.records if r.exc_info})}"
    )

    stale_sweep.delay()  # what beat does: picks up the saves whose publish failed
    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=60, message="all fresh")
    _refresh_categories()
    assert all_statistics_correct(), (statistics_errors(), worker.log()[-3000:])


def test_stopping_the_bulk_workers_node_mid_run_completes_the_run_once_at_the_rate(
    whole_cluster, workers, product_factory, variant_factory
):
    _catalog(product_factory, variant_factory, 8)
    worker = workers(QUEUE_STATS_BULK, STATS_BULK_RATE_LIMIT="20/m")
    run = _start_run()
    wait_for(lambda: _run(run).chunks_done >= 2, timeout=2 * SPACING + 30, message="2 chunks")
    wait_for(lambda: consumer_nodes(QUEUE_STATS_BULK), timeout=20, message="consumer listed")
    [node] = {node_number(n) for n in consumer_nodes(QUEUE_STATS_BULK)}
    seconds = stop_node(node)

    wait_for(lambda: not _run(run).is_active, timeout=8 * SPACING + 90, message="run done")
    run = _run(run)
    assert (run.status, run.chunks_done, run.products_done) == (BulkRun.Status.DONE, 8, 8)
    chunks = BulkChunk.objects.filter(run=run)
    assert [c.attempts for c in chunks] == [1] * 8  # no chunk computed twice
    survivor = _other_node(node)
    assert {node_number(n) for n in consumer_nodes(QUEUE_STATS_BULK, node=survivor)} != {node}
    gaps = _gaps(_starts(run))
    # The reconnected consumer's token bucket starts full: one early start is expected.
    assert sum(gap < SPACING * 0.9 for gap in gaps) <= 1, gaps
    print(f"bulk worker's node {node} stopped in {seconds:.1f} s; gaps {gaps}")
    assert worker.process.poll() is None  # it reconnected instead of exiting
