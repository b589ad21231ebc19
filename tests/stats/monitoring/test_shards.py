"""The batch shards on every face: who holds each shard, and when a missing consumer alarms.

Hand-made broker figures, real lease rows (no broker): a shard left without a consumer is
critical only once it lasted longer than a takeover, so a rebalance never cries wolf.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.queues import QUEUE_STATS_BATCH, batch_shard_queue
from stats.management.commands.queue_status import render_snapshot
from stats.models import BatchWorkerLease
from stats.monitoring.checks import batch_path, batch_shards_check
from stats.monitoring.metrics import snapshot_metrics
from stats.monitoring.services import monitoring_snapshot
from stats.monitoring.shards import batch_shard_figures, takeover_seconds
from stats.monitoring.snapshot import CRITICAL, OK, UNKNOWN, QueueFigures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def four_shards(settings):
    settings.STATS_BATCH_SHARDS = 4
    settings.STATS_BATCH_SHARD_HEARTBEAT = 5
    settings.RABBITMQ_STATS_LAG = 5


def _queues(consumers: dict[int, int] | None = None, **ready: int) -> dict[str, QueueFigures]:
    consumers = consumers or {}
    queues = {QUEUE_STATS_BATCH: QueueFigures(QUEUE_STATS_BATCH, "management", 2, 1, 2, 2)}
    for shard in range(4):
        name = batch_shard_queue(shard)
        queues[name] = QueueFigures(
            name, "management", ready.get(f"s{shard}", 0), 10, consumers.get(shard, 1), 1
        )
    return queues


def _lease(worker: str, shards: list[int], *, seen: float = 0, changed: float = 600) -> None:
    now = timezone.now()
    BatchWorkerLease.objects.create(
        worker=worker,
        shards=shards,
        seen_at=now - timedelta(seconds=seen),
        changed_at=now - timedelta(seconds=changed),
    )


def test_each_shard_shows_the_live_worker_whose_lease_holds_it():
    _lease("a@h", [0, 2])
    _lease("b@h", [1, 3])
    figures = batch_shard_figures(_queues(), now=timezone.now())
    assert [(f.queue, f.workers) for f in figures] == [
        ("stats.batch.shard.0", ["a@h"]),
        ("stats.batch.shard.1", ["b@h"]),
        ("stats.batch.shard.2", ["a@h"]),
        ("stats.batch.shard.3", ["b@h"]),
    ]
    assert batch_shards_check(figures).status == OK


def test_a_shard_without_consumer_is_ok_while_its_dead_owners_takeover_runs():
    _lease("a@h", [0, 2], seen=17)  # killed: its lease expired at 15 s, nobody claimed yet
    _lease("b@h", [1, 3])
    figures = batch_shard_figures(_queues({0: 0, 2: 0}), now=timezone.now())
    assert figures[0].workers == []
    check = batch_shards_check(figures)
    assert check.status == OK and "changing hands" in check.message


def test_a_shard_just_claimed_but_not_yet_consumed_is_ok():
    _lease("b@h", [0, 1, 2, 3], changed=2)
    assert batch_shards_check(batch_shard_figures(_queues({0: 0}), now=timezone.now())).status == OK


def test_a_shard_without_consumer_for_longer_than_a_takeover_is_critical():
    _lease("a@h", [0, 2], seen=takeover_seconds() + 1)
    _lease("b@h", [1, 3])
    check = batch_shards_check(batch_shard_figures(_queues({0: 0}), now=timezone.now()))
    assert check.status == CRITICAL and "stats.batch.shard.0" in check.message


def test_a_live_owner_that_does_not_consume_its_shard_is_critical():
    _lease("a@h", [0, 1, 2, 3], changed=600)  # renews its lease, but no consumer on shard 3
    check = batch_shards_check(batch_shard_figures(_queues({3: 0}), now=timezone.now()))
    assert check.status == CRITICAL and "stats.batch.shard.3" in check.message


def test_a_shard_no_lease_ever_held_without_consumer_is_critical():
    check = batch_shards_check(batch_shard_figures(_queues({1: 0}), now=timezone.now()))
    assert check.status == CRITICAL


def test_unknown_consumer_counts_are_unknown_not_ok():
    queues = _queues()
    queues[batch_shard_queue(2)].consumers = None
    assert batch_shards_check(batch_shard_figures(queues, now=timezone.now())).status == UNKNOWN


def test_the_batch_paths_depth_and_buffer_sum_the_batch_queue_and_its_shards():
    snapshot = monitoring_snapshot(
        queues=_queues(s1=5, s3=7), broker_source="management", batch_buffers=[]
    )
    path = batch_path(snapshot)
    assert (path.ready, path.unacked) == (2 + 5 + 7, 1 + 4 * 10)
    depth = next(c for c in snapshot.checks if c.name == f"{QUEUE_STATS_BATCH} depth")
    assert depth.message.startswith("14 ready")


def test_the_assignment_is_on_every_face():
    _lease("a@h", [0, 2])
    _lease("b@h", [1, 3])
    snapshot = monitoring_snapshot(queues=_queues(), broker_source="management", batch_buffers=[])
    assert "Batch shard 1 (stats.batch.shard.1): b@h" in render_snapshot(snapshot)
    assert snapshot.as_dict()["batch_shards"][2]["workers"] == ["a@h"]
    metrics = snapshot_metrics(snapshot).decode()
    assert 'catalog_batch_shard_worker{shard="3",worker="b@h"} 1.0' in metrics
    assert "[OK      ] batch shards: 4 shards over 2 workers" in render_snapshot(snapshot)


def test_one_shard_adds_no_check_and_no_row(settings):
    settings.STATS_BATCH_SHARDS = 1
    snapshot = monitoring_snapshot(
        queues={QUEUE_STATS_BATCH: _queues()[QUEUE_STATS_BATCH]},
        broker_source="management",
        batch_buffers=[],
    )
    assert snapshot.batch_shards == []
    assert "batch shards" not in {c.name for c in snapshot.checks}
