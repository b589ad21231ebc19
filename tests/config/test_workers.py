"""A starting worker takes its role's rules from the table (config/workers.py, config/queues.py).

The rules at work in real workers are tested with them: batches counted out by the batch
worker's prefetch (tests/stats/batch), the bulk worker's steady rate and its refusal of
``-c 2`` (tests/stats/bulk, tests/ops/test_embedded_workers.py). Here: which rules a
worker gets from which queues.
"""

import math
import re
from collections import defaultdict
from types import SimpleNamespace

import pytest
from kombu.utils.imports import symbol_by_name

from config.queues import (
    DEFAULT_CONSUMER,
    QUEUE_CATALOG_IMPORTS,
    QUEUE_DEFAULT,
    QUEUE_STATS_BATCH,
    QUEUE_STATS_BULK,
    QUEUE_STATS_NOW,
    ROLE_BATCH,
    ROLES,
    batch_shard_queue,
    role_named,
)
from config.workers import WorkerMisconfigured, apply_worker_role, worker_role


class _Queues(dict):
    """``app.amqp.queues`` as a worker sees it: every declared queue, ``-Q``'s selected."""

    def __init__(self, selected: list[str]) -> None:
        super().__init__({name: None for name in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK)})
        self.consume_from = {name: None for name in selected}


def _started(*queues: str, concurrency: int = 1) -> SimpleNamespace:
    """What ``worker_init`` hands its receivers: the worker, before it builds its consumer."""
    app = SimpleNamespace(
        amqp=SimpleNamespace(queues=_Queues(list(queues))), steps=defaultdict(set)
    )
    return SimpleNamespace(
        app=app, concurrency=concurrency, prefetch_multiplier=4, consumer_cls="celery:Consumer"
    )


def test_the_batch_worker_may_hold_two_full_batches_and_runs_the_batch_consumer_steps(settings):
    settings.STATS_BATCH_FLUSH_EVERY = 100
    for concurrency in (1, 3):
        worker = _started(QUEUE_STATS_BATCH, QUEUE_STATS_NOW, concurrency=concurrency)
        apply_worker_role(worker)
        assert worker.prefetch_multiplier == math.ceil(200 / concurrency)
        assert worker.consumer_cls == DEFAULT_CONSUMER
        assert worker.app.steps["consumer"] == set(role_named(ROLE_BATCH).consumer_steps)


def test_the_bulk_worker_holds_one_message_with_the_steady_rate_consumer():
    worker = _started(QUEUE_STATS_BULK)
    apply_worker_role(worker)
    assert worker.prefetch_multiplier == 1
    assert worker.consumer_cls == "stats.bulk.ratelimit:SteadyRateConsumer"
    assert not worker.app.steps["consumer"]


def test_the_import_worker_holds_one_import():
    worker = _started(QUEUE_CATALOG_IMPORTS)
    apply_worker_role(worker)
    assert (worker.prefetch_multiplier, worker.consumer_cls) == (1, DEFAULT_CONSUMER)


def test_a_worker_of_no_role_keeps_celerys_prefetch():
    worker = _started(QUEUE_DEFAULT)
    apply_worker_role(worker)
    assert (worker.prefetch_multiplier, worker.consumer_cls) == (4, DEFAULT_CONSUMER)


@pytest.mark.parametrize(
    "queues, concurrency, refusal",
    [
        (
            {QUEUE_STATS_BULK, QUEUE_STATS_BATCH},
            1,
            "The bulk worker must consume only 'stats.bulk' (-Q stats.bulk)",
        ),
        ({QUEUE_STATS_BULK}, 2, "The bulk worker must run with -c 1 (got -c 2)"),
    ],
)
def test_a_bulk_worker_that_would_break_the_rate_limit_is_refused(queues, concurrency, refusal):
    with pytest.raises(WorkerMisconfigured, match=re.escape(refusal)):
        worker_role(queues, concurrency)


def test_a_refused_worker_exits_with_one_line():
    with pytest.raises(SystemExit, match=r"^Refusing to start: The bulk worker must run with -c 1"):
        apply_worker_role(_started(QUEUE_STATS_BULK, concurrency=2))


def test_a_shard_queue_is_the_batch_roles():
    assert worker_role({batch_shard_queue(2)}, 1) == role_named(ROLE_BATCH)


def test_a_worker_on_two_roles_queues_takes_the_first_roles_rules():
    assert worker_role({QUEUE_CATALOG_IMPORTS, QUEUE_STATS_BATCH}, 1) == role_named(ROLE_BATCH)


@pytest.mark.parametrize("consumer", sorted({role.consumer for role in ROLES} | {DEFAULT_CONSUMER}))
def test_every_workers_consumer_leaves_out_celerys_delayed_delivery_queues(consumer):
    # With quorum queues Celery would declare 28 queues for ETA messages that our direct
    # exchanges cannot use and no task sends.
    steps = symbol_by_name(consumer).Blueprint.default_steps
    assert not [step for step in steps if step.endswith(":DelayedDelivery")]
    assert "celery.worker.consumer.tasks:Tasks" in steps
