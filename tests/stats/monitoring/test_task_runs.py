"""Per-task figures: what each run leaves, the hour and day windows, what each face shows."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from stats.batch.services import product_stats_batch_process
from stats.bulk import services as bulk
from stats.bulk.services import ChunkOutcome, bulk_chunk_process, bulk_run_start
from stats.management.commands.queue_status import render_snapshot
from stats.models import BulkRun, TaskFailure, TaskRunMinute, TaskRunTotal
from stats.monitoring.metrics import snapshot_metrics
from stats.monitoring.services import monitoring_samples_record, monitoring_snapshot
from stats.recompute import products as recompute_products
from stats.records.selectors import bucket_quantile, task_figures
from stats.records.task_runs import (
    BATCH,
    BULK_CHUNK,
    DURATION_BUCKETS,
    FAILURES_KEPT,
    SWEEP,
    TASKS,
    bucket_of,
    task_run_record,
    task_run_timed,
)

pytestmark = pytest.mark.django_db


def _figures(task: str):
    return next(f for f in task_figures(now=timezone.now()) if f.task == task)


def _snapshot():
    return monitoring_snapshot(queues={}, broker_source="amqp", batch_buffers=[])


# --- Percentiles from buckets -------------------------------------------------------------


def test_no_runs_have_no_percentile():
    assert bucket_quantile(0.5, [0] * (len(DURATION_BUCKETS) + 1)) is None


def test_a_percentile_is_interpolated_inside_its_bucket():
    buckets = [0] * (len(DURATION_BUCKETS) + 1)
    buckets[bucket_of(0.07)] = 10  # ten runs in (0.05, 0.1]
    assert bucket_quantile(0.5, buckets) == pytest.approx(0.075)
    assert bucket_quantile(0.95, buckets) == pytest.approx(0.0975)


def test_the_p95_of_mostly_fast_runs_with_a_slow_tail_lands_in_the_tail():
    buckets = [0] * (len(DURATION_BUCKETS) + 1)
    buckets[bucket_of(0.02)] = 90
    buckets[bucket_of(3.0)] = 10
    assert bucket_quantile(0.5, buckets) < 0.025
    assert 2.5 < bucket_quantile(0.95, buckets) <= 5


def test_runs_longer_than_the_last_bound_are_reported_at_least_that_bound():
    buckets = [0] * (len(DURATION_BUCKETS) + 1)
    buckets[bucket_of(900)] = 3
    assert bucket_of(900) == len(DURATION_BUCKETS)
    assert bucket_quantile(0.5, buckets) == DURATION_BUCKETS[-1]


# --- Recording ------------------------------------------------------------------------------


def test_each_run_counts_once_per_minute_row_and_in_the_totals():
    for seconds in (0.03, 0.04, 0.045):  # one bucket: (0.025, 0.05]
        task_run_record(task=BATCH, seconds=seconds)
    task_run_record(task=BATCH, seconds=0.03, error="RuntimeError: boom", worker="batch@h")

    assert TaskRunMinute.objects.filter(task=BATCH, failed=False).get().runs == 3
    assert TaskRunTotal.objects.filter(task=BATCH, failed=True).get().runs == 1
    figures = _figures(BATCH)
    assert (figures.hour.done, figures.hour.failed) == (3, 1)
    assert (figures.total_done, figures.total_failed) == (3, 1)
    assert figures.total_seconds == pytest.approx(0.145)
    assert 0.025 < figures.hour.p50_seconds <= 0.05
    failure = TaskFailure.objects.get()
    assert (failure.task, failure.worker, failure.error) == (BATCH, "batch@h", "RuntimeError: boom")


def test_a_run_two_hours_ago_counts_in_the_day_not_the_hour():
    task_run_record(task=SWEEP, seconds=1.0)
    TaskRunMinute.objects.update(minute=timezone.now() - timedelta(hours=2))
    task_run_record(task=SWEEP, seconds=1.0)

    figures = _figures(SWEEP)
    assert (figures.hour.done, figures.day.done, figures.total_done) == (1, 2, 2)


def test_minute_rows_older_than_a_day_are_pruned_and_the_totals_stay():
    task_run_record(task=SWEEP, seconds=1.0)
    TaskRunMinute.objects.update(minute=timezone.now() - timedelta(hours=30))

    monitoring_samples_record(_snapshot())

    assert not TaskRunMinute.objects.exists()
    assert _figures(SWEEP).total_done == 1


def test_only_the_latest_failures_of_a_task_are_kept_with_a_bounded_error():
    for n in range(FAILURES_KEPT + 5):
        task_run_record(task=SWEEP, seconds=0.1, error=f"error {n} " + "x" * 5000)
    task_run_record(task=BATCH, seconds=0.1, error="batch error")

    assert TaskFailure.objects.filter(task=SWEEP).count() == FAILURES_KEPT
    assert TaskFailure.objects.filter(task=BATCH).count() == 1
    latest = TaskFailure.objects.filter(task=SWEEP).first()
    assert latest.error.startswith(f"error {FAILURES_KEPT + 4} ")
    assert len(latest.error) == 1000


def test_a_timed_block_that_raises_is_a_failed_run_and_still_raises():
    with pytest.raises(ValueError, match="bad"), task_run_timed(SWEEP):
        raise ValueError("bad")
    with task_run_timed(SWEEP):
        pass

    figures = _figures(SWEEP)
    assert (figures.total_done, figures.total_failed) == (1, 1)
    assert TaskFailure.objects.get().error == "ValueError: bad"


def test_a_recording_that_fails_never_fails_the_task(monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("figures table gone")

    monkeypatch.setattr("stats.records.task_runs._record", broken)
    task_run_record(task=BATCH, seconds=0.1)
    assert "Figures of one batch run lost" in caplog.text


# --- Who records ----------------------------------------------------------------------------


def test_a_batch_records_one_run_and_a_failed_product_makes_it_failed(monkeypatch, product_factory):
    products = product_factory.create_batch(3)
    original = recompute_products._product_stats_row

    def fail_for_one(product, computed_at):
        if product.id == products[1].pk:
            raise ValueError("cannot score this product")
        return original(product, computed_at)

    monkeypatch.setattr(recompute_products, "_product_stats_row", fail_for_one)
    product_stats_batch_process(product_ids=[p.pk for p in products] * 2, requests=6, worker="w1")
    monkeypatch.undo()
    product_stats_batch_process(product_ids=[products[1].pk], requests=1)

    figures = _figures(BATCH)
    assert (figures.total_done, figures.total_failed) == (1, 1)
    failure = TaskFailure.objects.get()
    assert failure.error.startswith("1 of 3 products failed")
    assert failure.worker == "w1"


def test_a_bulk_chunk_records_done_and_failed_attempts_but_not_skips(
    monkeypatch, settings, product_factory, django_capture_on_commit_callbacks
):
    settings.STATS_BULK_MAX_ATTEMPTS = 2
    product_factory.create_batch(4)
    run = bulk_run_start(trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.ALL, chunk_size=2)
    first, second = run.chunks.order_by("number")

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(bulk, "product_stats_recompute", broken)
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_chunk_process(chunk_id=first.pk) is ChunkOutcome.RETRY
    monkeypatch.undo()
    assert bulk_chunk_process(chunk_id=first.pk) is ChunkOutcome.DONE
    assert bulk_chunk_process(chunk_id=first.pk) is ChunkOutcome.SKIPPED
    assert bulk_chunk_process(chunk_id=second.pk) is ChunkOutcome.DONE

    figures = _figures(BULK_CHUNK)
    assert (figures.total_done, figures.total_failed) == (2, 1)
    assert TaskFailure.objects.get().error == "RuntimeError: database went away"


# --- The faces ------------------------------------------------------------------------------


def test_metrics_export_runs_as_a_counter_and_durations_as_a_histogram():
    task_run_record(task=BATCH, seconds=0.02)
    task_run_record(task=BATCH, seconds=3.0)
    task_run_record(task=BATCH, seconds=0.02, error="boom")

    families = {
        f.name: f for f in text_string_to_metric_families(snapshot_metrics(_snapshot()).decode())
    }
    runs = {
        (s.labels["task"], s.labels["outcome"]): s.value
        for s in families["catalog_task_runs"].samples
        if s.name == "catalog_task_runs_total"
    }
    assert runs[(BATCH, "done")] == 2
    assert runs[(BATCH, "failed")] == 1
    assert runs[(SWEEP, "done")] == 0
    buckets = {
        s.labels["le"]: s.value
        for s in families["catalog_task_duration_seconds"].samples
        if s.name.endswith("_bucket") and s.labels["task"] == BATCH
    }
    assert buckets["0.025"] == 2
    assert buckets["2.5"] == 2
    assert buckets["5"] == 3
    assert buckets["+Inf"] == 3
    ages = {s.labels["source"]: s.value for s in families["catalog_source_age_seconds"].samples}
    assert set(ages) == {"broker", "workers", "database"}


def test_queue_status_and_the_snapshot_list_every_task_and_the_last_failure():
    task_run_record(task=BULK_CHUNK, seconds=12.0, error="RuntimeError: lock wait\nmore lines")
    snapshot = _snapshot()

    assert [task.task for task in snapshot.tasks] == list(TASKS)
    text = render_snapshot(snapshot)
    assert "1h done" in text
    assert "bulk_chunk" in text
    assert "RuntimeError: lock wait" in text
    assert "more lines" not in text
    assert snapshot.as_dict()["task_failures"][0]["task"] == BULK_CHUNK


def test_the_ops_page_shows_the_tasks_and_the_last_failures(admin_client):
    from stats.monitoring.services import monitoring_snapshot_store

    task_run_record(task=SWEEP, seconds=2.0, error="OperationalError: gone away")
    monitoring_snapshot_store(_snapshot())

    page = admin_client.get("/admin/stats/opsdashboard/?partial=1").content.decode()
    assert "Last hour" in page
    assert "category refresh" in page
    assert "OperationalError: gone away" in page
