import pytest
from django.db import OperationalError

from stats.batch import services as batch_services
from stats.batch.services import LOCK_CONFLICT_ATTEMPTS, product_stats_batch_process
from stats.models import BatchFlush, ProductStaleness
from stats.recompute.marks import product_stats_mark_stale
from stats.recompute.products import product_stats_recompute

pytestmark = pytest.mark.django_db

DEADLOCK = OperationalError(
    1213, "Deadlock found when trying to get lock; try restarting transaction"
)


def _rolled_back(times: int, calls: list[int]):
    # MariaDB's deadlock victim: its transaction is rolled back, nothing of it is written.
    def recompute(**kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise DEADLOCK
        return product_stats_recompute(**kwargs)

    return recompute


def test_a_batch_rolled_back_by_a_deadlock_runs_again_and_loses_nothing(
    monkeypatch, product_factory
):
    products = product_factory.create_batch(3)
    product_stats_mark_stale(product_ids=[p.pk for p in products])
    calls: list[int] = []
    monkeypatch.setattr(batch_services, "product_stats_recompute", _rolled_back(1, calls))

    result = product_stats_batch_process(product_ids=[p.pk for p in products], requests=3)

    assert (len(calls), result.computed, result.failed) == (2, 3, 0)
    assert not ProductStaleness.objects.exists()
    assert BatchFlush.objects.get().failed == 0


def test_a_batch_that_keeps_deadlocking_leaves_its_products_stale_for_the_sweep(
    monkeypatch, product_factory
):
    products = product_factory.create_batch(2)
    product_stats_mark_stale(product_ids=[p.pk for p in products])
    calls: list[int] = []
    monkeypatch.setattr(
        batch_services, "product_stats_recompute", _rolled_back(LOCK_CONFLICT_ATTEMPTS, calls)
    )

    result = product_stats_batch_process(product_ids=[p.pk for p in products], requests=2)

    assert (len(calls), result.failed) == (LOCK_CONFLICT_ATTEMPTS, 2)
    assert ProductStaleness.objects.count() == 2
    assert BatchFlush.objects.get().failed == 2
