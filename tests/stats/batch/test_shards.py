"""The batch worker's lease step when the database is out of reach."""

import logging

import pytest
from django.db import OperationalError

from stats.batch import leases
from stats.batch.shards import BatchShardLeases
from stats.models import BatchWorkerLease

pytestmark = pytest.mark.django_db(transaction=True)  # the step closes its connection


def _unreachable(**kwargs):
    raise OperationalError(2003, "Can't connect to MySQL server on 'db' (110)")


def test_a_worker_cut_off_from_the_database_keeps_its_shards_and_logs_once(
    monkeypatch, settings, caplog
):
    settings.STATS_BATCH_SHARDS = 4
    step = BatchShardLeases(None)
    step.wanted = [0, 2]
    monkeypatch.setattr(leases, "batch_lease_renew", _unreachable)

    with caplog.at_level(logging.WARNING, logger="stats.batch.shards"):
        step.renew("batch1@host")
        step.renew("batch1@host")

    assert step.wanted == [0, 2]
    assert [r.getMessage() for r in caplog.records] == [
        "Batch shard lease not renewed (database unreachable?): keeping the shards."
    ]

    monkeypatch.undo()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stats.batch.shards"):
        step.renew("batch1@host")

    assert step.wanted == [0, 1, 2, 3]  # alone now: every shard
    assert BatchWorkerLease.objects.get().worker == "batch1@host"
    assert [r.getMessage() for r in caplog.records] == ["Batch shard lease renewed again."]
