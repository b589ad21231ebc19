"""Which batch worker consumes which shard: the rule, and the lease table behind it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from stats.batch.leases import (
    LEASE_HEARTBEATS,
    batch_lease_release,
    batch_lease_renew,
    shards_for,
)
from stats.models import BatchWorkerLease
from testkit.shards import batch_shard_owners

HEARTBEAT = 5


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shards", [1, 4, 8, 12])
def test_every_shard_has_exactly_one_worker(workers, shards):
    names = [f"batch{n}@host" for n in range(workers)]
    owned = [
        shard for name in names for shard in shards_for(worker=name, live=names, shards=shards)
    ]
    assert sorted(owned) == list(range(shards))


def test_shards_go_by_rank_among_the_live_names_sorted():
    live = ["c@h", "a@h", "b@h"]
    assert shards_for(worker="a@h", live=live, shards=8) == [0, 3, 6]
    assert shards_for(worker="b@h", live=live, shards=8) == [1, 4, 7]
    assert shards_for(worker="c@h", live=live, shards=8) == [2, 5]


def test_a_worker_not_yet_among_the_live_ones_counts_itself():
    assert shards_for(worker="b@h", live=["a@h"], shards=4) == [1, 3]
    assert shards_for(worker="a@h", live=[], shards=4) == [0, 1, 2, 3]


def test_twelve_shards_divide_evenly_among_one_to_four_and_six_workers():
    for workers in (1, 2, 3, 4, 6):
        names = [f"w{n}" for n in range(workers)]
        sizes = {len(shards_for(worker=name, live=names, shards=12)) for name in names}
        assert sizes == {12 // workers}


@pytest.mark.django_db
def test_a_second_worker_takes_half_the_shards_and_the_first_gives_them_up():
    assert batch_lease_renew(worker="a@h", shards=4, heartbeat=HEARTBEAT) == [0, 1, 2, 3]
    assert batch_lease_renew(worker="b@h", shards=4, heartbeat=HEARTBEAT) == [1, 3]
    assert batch_lease_renew(worker="a@h", shards=4, heartbeat=HEARTBEAT) == [0, 2]
    assert batch_shard_owners(shards=4, heartbeat=HEARTBEAT) == {
        0: ["a@h"],
        1: ["b@h"],
        2: ["a@h"],
        3: ["b@h"],
    }


@pytest.mark.django_db
def test_a_stopped_worker_leaves_its_shards_at_the_next_heartbeat_of_the_others():
    batch_lease_renew(worker="a@h", shards=4, heartbeat=HEARTBEAT)
    batch_lease_renew(worker="b@h", shards=4, heartbeat=HEARTBEAT)
    batch_lease_release(worker="a@h")
    assert batch_lease_renew(worker="b@h", shards=4, heartbeat=HEARTBEAT) == [0, 1, 2, 3]


@pytest.mark.django_db
def test_a_killed_workers_lease_expires_after_three_heartbeats_and_is_pruned():
    batch_lease_renew(worker="a@h", shards=4, heartbeat=HEARTBEAT)
    batch_lease_renew(worker="b@h", shards=4, heartbeat=HEARTBEAT)
    almost = timezone.now() - timedelta(seconds=LEASE_HEARTBEATS * HEARTBEAT - 2)
    BatchWorkerLease.objects.filter(worker="a@h").update(seen_at=almost)
    assert batch_lease_renew(worker="b@h", shards=4, heartbeat=HEARTBEAT) == [1, 3]
    expired = timezone.now() - timedelta(seconds=LEASE_HEARTBEATS * HEARTBEAT + 1)
    BatchWorkerLease.objects.filter(worker="a@h").update(seen_at=expired)
    assert batch_shard_owners(shards=4, heartbeat=HEARTBEAT)[0] == []  # nobody, until b renews
    assert batch_lease_renew(worker="b@h", shards=4, heartbeat=HEARTBEAT) == [0, 1, 2, 3]
    assert list(BatchWorkerLease.objects.values_list("worker", flat=True)) == ["b@h"]
