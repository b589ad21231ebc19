"""STATS_BATCH_SHARDS: the refusals, the shard queues declared, and where a save goes."""

import json

import pytest

from config.queues import QUEUE_STATS_BATCH, batch_shard_queue
from stats.batch.tasks import batch_queue_for
from tests.config.test_queue_types import QUORUM_BROKER, _declared_queues


@pytest.mark.parametrize(
    "env, refusal",
    [
        ({"STATS_BATCH_SHARDS": "0"}, "STATS_BATCH_SHARDS=0: at least 1."),
        (
            {"STATS_BATCH_SHARDS": "4", "CELERY_BROKER_URL": "filesystem://localhost//"},
            "STATS_BATCH_SHARDS=4 needs RabbitMQ",
        ),
        ({"STATS_BATCH_SHARD_HEARTBEAT": "0"}, "STATS_BATCH_SHARD_HEARTBEAT=0: at least 1"),
    ],
)
def test_a_bad_shard_setting_is_refused_with_one_line(env, refusal):
    result = _declared_queues(**{"CELERY_BROKER_URL": QUORUM_BROKER, **env})
    assert result.returncode != 0
    assert refusal in result.stderr


def test_one_shard_declares_no_shard_queue():
    result = _declared_queues(CELERY_BROKER_URL=QUORUM_BROKER, STATS_BATCH_SHARDS="1")
    assert result.returncode == 0, result.stderr
    assert not [name for name in json.loads(result.stdout) if name.startswith("stats.batch.")]


def test_each_shard_queue_is_declared_with_a_single_active_consumer_and_the_queue_type():
    result = _declared_queues(
        CELERY_BROKER_URL=QUORUM_BROKER, STATS_BATCH_SHARDS="3", CELERY_QUEUE_TYPE="quorum"
    )
    assert result.returncode == 0, result.stderr
    declared = json.loads(result.stdout)
    shards = {name: args for name, args in declared.items() if name.startswith("stats.batch.")}
    assert sorted(shards) == [batch_shard_queue(k) for k in range(3)]
    for arguments in shards.values():
        assert arguments["x-single-active-consumer"] is True
        assert arguments["x-queue-type"] == "quorum"
    assert "x-single-active-consumer" not in declared[QUEUE_STATS_BATCH]


def test_a_products_requests_go_to_its_shard_or_to_the_batch_queue_with_one_shard(settings):
    assert batch_queue_for(7) == QUEUE_STATS_BATCH
    settings.STATS_BATCH_SHARDS = 4
    assert [batch_queue_for(p) for p in (4, 5, 7, 8)] == [
        "stats.batch.shard.0",
        "stats.batch.shard.1",
        "stats.batch.shard.3",
        "stats.batch.shard.0",
    ]
