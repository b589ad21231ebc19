from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stats.bulk import services as bulk
from stats.bulk.selectors import bulk_run_progress, seconds_per_task
from stats.bulk.services import (
    BulkRunError,
    ChunkOutcome,
    bulk_chunk_process,
    bulk_run_cancel,
    bulk_run_start,
    bulk_run_start_scheduled,
)
from stats.models import BulkChunk, BulkRun, CategoryStats, ProductStats
from stats.recompute.categories import category_stats_refresh_stale
from stats.recompute.models import CategoryDirectStats
from testkit.checks import statistics_errors

pytestmark = pytest.mark.django_db

ALL = BulkRun.Scope.ALL


def _start(**kwargs) -> BulkRun:
    return bulk_run_start(trigger=BulkRun.Trigger.OPS, **{"scope": ALL, **kwargs})


def test_a_run_is_split_into_chunks_of_the_configured_size(product_factory):
    products = product_factory.create_batch(7)
    run = _start(chunk_size=3)

    chunks = list(run.chunks.order_by("number"))
    assert [len(c.product_ids) for c in chunks] == [3, 3, 1]
    assert sorted(pid for c in chunks for pid in c.product_ids) == sorted(p.pk for p in products)
    assert (run.chunks_total, run.products_total, run.status) == (3, 7, "queued")
    assert run.rate_limit == "30/h"


def test_planning_reads_one_chunk_of_ids_at_a_time(product_factory):
    product_factory.create_batch(25)
    with CaptureQueriesContext(connection) as queries:
        _start(chunk_size=5)
    id_reads = [
        q["sql"]
        for q in queries
        if "FROM `catalog_product`" in q["sql"] or 'FROM "catalog_product"' in q["sql"]
    ]
    assert len(id_reads) == 6  # five full chunks and the empty read that ends the scan
    assert all("LIMIT 5" in sql for sql in id_reads)


def test_category_scope_covers_descendants_only(product_factory, category_factory):
    root = category_factory()
    child = category_factory(parent=root)
    inside = [product_factory(category=root), product_factory(category=child)]
    product_factory()  # elsewhere
    run = _start(scope=BulkRun.Scope.CATEGORY, categories=[root])
    assert sorted(run.chunks.get().product_ids) == sorted(p.pk for p in inside)


def test_several_categories_make_one_run_over_the_union_of_their_subtrees(
    product_factory, category_factory
):
    shoes, hats = category_factory(), category_factory()
    boots = category_factory(parent=shoes)
    inside = [product_factory(category=boots), product_factory(category=hats)]
    product_factory()  # elsewhere
    # boots is also under shoes: its product is counted once
    run = _start(scope=BulkRun.Scope.CATEGORY, categories=[shoes, hats, boots])
    assert sorted(run.chunks.get().product_ids) == sorted(p.pk for p in inside)
    assert run.products_total == 2
    assert set(run.categories.all()) == {shoes, hats, boots}


def test_a_category_run_without_a_category_is_refused():
    with pytest.raises(BulkRunError, match="at least one category"):
        _start(scope=BulkRun.Scope.CATEGORY, categories=[])


def test_unknown_product_ids_are_refused(product_factory):
    known = product_factory()
    with pytest.raises(BulkRunError, match="Unknown product IDs: 999999"):
        _start(scope=BulkRun.Scope.PRODUCTS, product_ids=[known.pk, 999999])
    assert not BulkRun.objects.exists()


def test_an_empty_scope_is_done_at_once():
    run = _start()
    assert (run.status, run.chunks_total) == ("done", 0)


def test_processing_every_chunk_completes_the_run_with_correct_statistics(
    product_factory, variant_factory
):
    for product in product_factory.create_batch(5):
        variant_factory.create_batch(2, product=product)
    ProductStats.objects.all().delete()
    run = _start(chunk_size=2)

    outcomes = [bulk_chunk_process(chunk_id=c.pk, worker="w1") for c in run.chunks.all()]

    run.refresh_from_db()
    assert outcomes == [ChunkOutcome.DONE] * 3
    assert (run.status, run.chunks_done, run.products_done) == ("done", 3, 5)
    assert run.finished_at and run.started_at
    category_stats_refresh_stale()  # what beat does for the categories the chunks marked
    assert statistics_errors() == []


def test_a_redelivered_chunk_is_not_counted_twice(product_factory):
    product_factory.create_batch(2)
    run = _start()
    chunk = run.chunks.get()
    assert bulk_chunk_process(chunk_id=chunk.pk) is ChunkOutcome.DONE
    assert bulk_chunk_process(chunk_id=chunk.pk) is ChunkOutcome.SKIPPED
    run.refresh_from_db()
    assert (run.chunks_done, run.products_done) == (1, 2)


def test_a_failing_chunk_is_retried_then_counted_failed(monkeypatch, settings, product_factory):
    settings.STATS_BULK_MAX_ATTEMPTS = 2
    product_factory.create_batch(3)
    run = _start(chunk_size=2)
    failing, healthy = run.chunks.order_by("number")

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(bulk, "product_stats_recompute", broken)
    assert bulk_chunk_process(chunk_id=failing.pk) is ChunkOutcome.RETRY
    failing.refresh_from_db()
    assert (failing.status, failing.attempts) == ("pending", 1)
    assert "database went away" in failing.last_error
    assert bulk_chunk_process(chunk_id=failing.pk) is ChunkOutcome.FAILED
    monkeypatch.undo()
    assert bulk_chunk_process(chunk_id=healthy.pk) is ChunkOutcome.DONE

    run.refresh_from_db()
    assert (run.status, run.chunks_failed, run.chunks_done, run.products_failed) == (
        "failed",
        1,
        1,
        2,
    )


def _worker_lost_during(chunk: BulkChunk, attempts: int) -> None:
    # What a worker killed in the middle of a chunk leaves behind: the chunk running, its
    # attempt counted, and its message back on the queue.
    BulkChunk.objects.filter(pk=chunk.pk).update(status=BulkChunk.Status.RUNNING, attempts=attempts)


def test_a_chunk_whose_worker_died_is_run_again(settings, product_factory):
    settings.STATS_BULK_MAX_ATTEMPTS = 3
    product_factory.create_batch(2)
    run = _start()
    chunk = run.chunks.get()
    _worker_lost_during(chunk, attempts=2)
    assert bulk_chunk_process(chunk_id=chunk.pk) is ChunkOutcome.DONE
    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.products_done) == ("done", 1, 2)


def test_a_chunk_that_took_its_worker_down_every_time_fails_and_ends_its_run(
    settings, product_factory
):
    settings.STATS_BULK_MAX_ATTEMPTS = 3
    product_factory.create_batch(2)
    run = _start()
    chunk = run.chunks.get()
    _worker_lost_during(chunk, attempts=3)
    assert bulk_chunk_process(chunk_id=chunk.pk) is ChunkOutcome.FAILED
    chunk.refresh_from_db()
    assert chunk.status == "failed"
    assert "stopped (restarted, or out of memory) during each of 3 attempts" in chunk.last_error
    run.refresh_from_db()
    assert (run.status, run.chunks_failed, run.products_failed) == ("failed", 1, 2)


def test_cancelling_stops_the_remaining_chunks(product_factory):
    product_factory.create_batch(4)
    run = _start(chunk_size=1)
    first, *rest = run.chunks.order_by("number")
    bulk_chunk_process(chunk_id=first.pk)

    run = bulk_run_cancel(run_id=run.pk)

    assert (run.status, run.chunks_done, run.chunks_cancelled) == ("cancelled", 1, 3)
    assert all(bulk_chunk_process(chunk_id=c.pk) is ChunkOutcome.SKIPPED for c in rest)
    assert set(BulkChunk.objects.filter(run=run).values_list("status", flat=True)) == {
        "done",
        "cancelled",
    }
    with pytest.raises(BulkRunError, match="nothing to cancel"):
        bulk_run_cancel(run_id=run.pk)


def test_a_scheduled_run_does_not_start_while_another_is_active(product_factory):
    product_factory()
    active = _start()
    assert bulk_run_start_scheduled() is None
    bulk_run_cancel(run_id=active.pk)
    scheduled = bulk_run_start_scheduled()
    assert scheduled is not None and scheduled.trigger == "schedule"


@pytest.mark.parametrize(
    ("rate", "seconds"), [("30/h", 120.0), ("6/m", 10.0), ("2/s", 0.5), ("", 0.0)]
)
def test_seconds_per_task_reads_celery_rate_limits(rate, seconds):
    assert seconds_per_task(rate) == seconds


def test_eta_comes_from_the_chunks_left_and_the_rate(product_factory):
    product_factory.create_batch(4)
    run = _start(chunk_size=1)
    bulk_chunk_process(chunk_id=run.chunks.first().pk)
    run.refresh_from_db()
    progress = bulk_run_progress(run)
    assert (progress.percent, progress.chunks_left, progress.eta_seconds) == (25, 3, 360)


def _running(*, total: int, finished: int, started_seconds_ago: float) -> tuple[BulkRun, Any]:
    now = timezone.now()
    run = BulkRun(
        trigger=BulkRun.Trigger.OPS,
        scope=BulkRun.Scope.ALL,
        status=BulkRun.Status.RUNNING,
        chunk_size=1,
        rate_limit="30/h",
        chunks_total=total,
        chunks_done=finished,
        started_at=now - timedelta(seconds=started_seconds_ago),
    )
    return run, now


def test_the_eta_counts_down_between_chunks():
    run, now = _running(total=3, finished=1, started_seconds_ago=10)
    # The second chunk is due 120 s after the first started, the third 120 s later.
    assert bulk_run_progress(run, now=now).eta_seconds == 110 + 120
    later = now + timedelta(seconds=30)
    assert bulk_run_progress(run, now=later).eta_seconds == 80 + 120


def test_a_single_chunk_run_is_not_given_a_token_interval_it_will_not_wait():
    run, now = _running(total=1, finished=0, started_seconds_ago=5)
    assert bulk_run_progress(run, now=now).eta_seconds == 0


def test_work_slower_than_the_rate_limit_sets_the_pace():
    run, now = _running(total=4, finished=2, started_seconds_ago=600)  # 300 s a chunk
    assert bulk_run_progress(run, now=now).eta_seconds == 0 + 1 * 300


def test_a_zero_chunk_size_is_refused_not_replaced(product_factory):
    product_factory()
    with pytest.raises(BulkRunError, match="at least 1"):
        _start(chunk_size=0)


def test_a_selection_is_chunked_in_its_own_order(product_factory):
    products = product_factory.create_batch(5)
    run = _start(scope=BulkRun.Scope.PRODUCTS, product_ids=[p.pk for p in products], chunk_size=2)
    assert [c.product_ids for c in run.chunks.order_by("number")] == [
        [products[0].pk, products[1].pk],
        [products[2].pk, products[3].pk],
        [products[4].pk],
    ]


def test_a_message_for_a_missing_chunk_is_dropped_with_a_log(caplog):
    assert bulk_chunk_process(chunk_id=987654) is ChunkOutcome.SKIPPED
    assert "does not exist" in caplog.text


def test_a_cancelled_run_shows_how_far_it_got(product_factory):
    product_factory.create_batch(8)
    run = _start(chunk_size=1)
    for chunk in run.chunks.order_by("number")[:3]:
        bulk_chunk_process(chunk_id=chunk.pk)
    run = bulk_run_cancel(run_id=run.pk)
    progress = bulk_run_progress(run)
    assert (progress.percent, progress.eta_seconds) == (38, None)  # 3 of 8 chunks


def test_an_editor_may_have_one_active_run(product_factory, editor):
    product_factory.create_batch(2)
    limited = {"trigger": BulkRun.Trigger.EDITOR, "scope": ALL, "started_by": editor}
    first = bulk_run_start(**limited, one_active_run=True)
    with pytest.raises(BulkRunError, match=f"You already have bulk run {first.pk} queued"):
        bulk_run_start(**limited, one_active_run=True)
    # Ops and the schedule are not limited, and a finished run frees the editor.
    _start()
    bulk_run_cancel(run_id=first.pk)
    second = bulk_run_start(**limited, one_active_run=True)
    assert second.is_active


def test_an_editors_run_never_makes_the_nightly_run_skip(product_factory, editor):
    product_factory()
    bulk_run_start(trigger=BulkRun.Trigger.EDITOR, scope=ALL, started_by=editor)
    scheduled = bulk_run_start_scheduled()
    assert scheduled is not None and scheduled.trigger == "schedule"


def test_a_whole_catalog_run_repairs_own_figures_that_drifted(product_factory, variant_factory):
    # Own figures are kept by difference; a write that bypassed the marks (here: a
    # direct UPDATE) leaves them off until the nightly whole-catalog run ends, after
    # which the next refresh rebuilds every category from the catalog.
    products = product_factory.create_batch(4)
    for product in products:
        variant_factory(product=product, stock=5)
    run = _start(chunk_size=10)
    for chunk in run.chunks.all():
        bulk_chunk_process(chunk_id=chunk.pk, worker="w1")
    category_stats_refresh_stale()
    assert statistics_errors() == []
    CategoryDirectStats.objects.update(total_stock=999)  # drifted
    CategoryStats.objects.update(total_stock=999)

    run = _start(chunk_size=10)
    for chunk in run.chunks.all():
        bulk_chunk_process(chunk_id=chunk.pk, worker="w1")
    category_stats_refresh_stale()

    assert statistics_errors() == []
