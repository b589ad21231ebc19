"""The bulk chunk size follows the catalog's size and the window a whole run must fit."""

import io

import pytest
from django.core.management import call_command
from django.test import TestCase

from stats.bulk.services import bulk_run_start
from stats.bulk.window import (
    MAX_CHUNK_SIZE,
    bulk_chunk_size,
    bulk_run_fits_window,
    bulk_run_hours,
)
from stats.models import BulkRun


def test_a_million_products_in_eight_hours_at_30_an_hour_take_240_chunks():
    size = bulk_chunk_size(1_000_000, window_hours=8, rate_limit="30/h", smallest=1000)

    assert size == 4167  # 1,000,000 / 240, rounded up
    assert -(-1_000_000 // size) == 240
    assert bulk_run_hours(1_000_000, size, rate_limit="30/h") == 8


def test_a_catalog_the_window_holds_keeps_the_smallest_chunk():
    assert bulk_chunk_size(100_000, window_hours=8, rate_limit="30/h", smallest=1000) == 1000
    assert bulk_chunk_size(240_000, window_hours=8, rate_limit="30/h", smallest=1000) == 1000
    assert bulk_chunk_size(240_001, window_hours=8, rate_limit="30/h", smallest=1000) == 1001
    assert bulk_chunk_size(0, window_hours=8, rate_limit="30/h", smallest=1000) == 1000


def test_a_shorter_window_or_a_slower_queue_means_larger_chunks():
    base = bulk_chunk_size(1_000_000, window_hours=8, rate_limit="30/h", smallest=1)
    assert bulk_chunk_size(1_000_000, window_hours=4, rate_limit="30/h", smallest=1) > base
    assert bulk_chunk_size(1_000_000, window_hours=8, rate_limit="15/h", smallest=1) > base
    assert bulk_chunk_size(1_000_000, window_hours=8, rate_limit="1/m", smallest=1) < base


def test_a_chunk_never_outgrows_its_task_time_limit():
    size = bulk_chunk_size(100_000_000, window_hours=1, rate_limit="30/h", smallest=1000)

    assert size == MAX_CHUNK_SIZE


def test_without_a_rate_limit_the_chunk_count_costs_no_time():
    assert bulk_chunk_size(1_000_000, window_hours=8, rate_limit="", smallest=1000) == 1000
    assert bulk_run_hours(1_000_000, 1000, rate_limit="") == 0


@pytest.fixture
def ten_products_one_hour_three_chunks(product_factory, settings):
    """Ten products, a one-hour window at 3 chunks an hour, chunks of at least 2."""
    settings.STATS_BULK_CHUNK_SIZE = 2
    settings.STATS_BULK_WINDOW_HOURS = 1
    settings.STATS_BULK_RATE_LIMIT = "3/h"
    product_factory.create_batch(10)


@pytest.mark.django_db
@pytest.mark.usefixtures("ten_products_one_hour_three_chunks")
def test_a_run_started_without_a_size_takes_the_windows():

    run = bulk_run_start(trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.ALL)

    assert (run.chunk_size, run.chunks_total, run.products_total) == (4, 3, 10)
    assert bulk_run_fits_window(run.products_total, run.chunk_size)


@pytest.mark.django_db
@pytest.mark.usefixtures("ten_products_one_hour_three_chunks")
def test_a_size_given_by_ops_is_kept_and_the_command_warns_it_runs_past_the_window():
    stdout, stderr = io.StringIO(), io.StringIO()

    with TestCase.captureOnCommitCallbacks(execute=False):
        call_command("recompute_stats", "--all", "--chunk-size", "2", stdout=stdout, stderr=stderr)

    run = BulkRun.objects.get()
    assert (run.chunk_size, run.chunks_total) == (2, 5)
    assert "longer than the 1-hour window" in stderr.getvalue()


@pytest.mark.django_db
@pytest.mark.usefixtures("ten_products_one_hour_three_chunks")
def test_a_run_within_the_window_has_no_warning():
    stderr = io.StringIO()

    with TestCase.captureOnCommitCallbacks(execute=False):
        call_command("recompute_stats", "--all", stdout=io.StringIO(), stderr=stderr)

    assert BulkRun.objects.get().chunks_total == 3
    assert "window" not in stderr.getvalue()
