import io
import os
import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from stats.bulk.services import bulk_chunk_process, bulk_run_cancel
from stats.formatting import format_duration
from stats.management.commands import recompute_stats
from stats.models import BulkChunk, BulkRun
from testkit.workers import ROOT, unreachable_broker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rate_limit(settings):
    settings.STATS_BULK_RATE_LIMIT = "30/h"


class TerminalOutput(io.StringIO):
    def isatty(self) -> bool:
        return True


def _command(*args: str, **kwargs) -> None:
    """Run the command as in production, where it commits its run before publishing.

    The test's transaction never commits, so the on-commit publish runs as the command's
    transaction would have committed.
    """
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("recompute_stats", *args, **kwargs)


def _recompute(*args: str, stdout: io.StringIO | None = None) -> str:
    stdout = stdout or io.StringIO()
    _command(*args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


@pytest.fixture
def worker_on_sleep(monkeypatch):
    """Each poll's sleep processes one pending chunk, as the bulk worker would between polls.

    Returns the list of sleeps, so a test can also act on a given poll.
    """
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        assert len(sleeps) < 50, "the command kept waiting"
        chunk = BulkChunk.objects.filter(status=BulkChunk.Status.PENDING).order_by("id").first()
        if chunk is not None:
            bulk_chunk_process(chunk_id=chunk.pk, worker="test@sleep")

    monkeypatch.setattr(recompute_stats.time, "sleep", sleep)
    return sleeps


def test_all_starts_a_whole_catalog_run_and_prints_its_id_and_size(broker_url, product_factory):
    product_factory.create_batch(3)

    output = _recompute("--all", "--chunk-size", "2")

    run = BulkRun.objects.get()
    assert (run.scope, run.trigger, run.chunk_size) == ("all", "ops", 2)
    assert output.splitlines() == [
        f"Bulk run {run.pk} queued: whole catalog, 3 products in 2 chunks of up to 2, "
        "rate limit 30/h, ETA 2m 00s."
    ]
    assert not run.chunks.filter(published_at__isnull=True).exists()


def test_category_covers_its_descendants(broker_url, category_factory, product_factory):
    shoes = category_factory(name="Shoes", slug="shoes")
    boots = category_factory(parent=shoes)
    product_factory(category=shoes)
    product_factory(category=boots)
    product_factory()  # elsewhere in the catalog

    output = _recompute("--category", "shoes")

    run = BulkRun.objects.get()
    assert (run.scope, list(run.categories.all()), run.products_total) == ("category", [shoes], 2)
    assert f"Bulk run {run.pk} queued: category Shoes and its subcategories, 2 products" in output


def test_several_categories_make_one_run(broker_url, category_factory, product_factory):
    shoes = category_factory(name="Shoes", slug="shoes")
    hats = category_factory(name="Hats", slug="hats")
    product_factory(category=shoes)
    product_factory(category=hats)
    product_factory()  # elsewhere in the catalog

    output = _recompute("--category", "shoes", "--category", "hats")

    run = BulkRun.objects.get()
    assert (set(run.categories.all()), run.products_total) == ({shoes, hats}, 2)
    assert "categories Hats and Shoes with their subcategories, 2 products" in output


def test_products_covers_exactly_the_given_ids(broker_url, product_factory):
    first, second, _ = product_factory.create_batch(3)

    _recompute("--products", str(first.pk), str(second.pk))

    run = BulkRun.objects.get()
    assert run.scope == "products"
    assert [c.product_ids for c in run.chunks.all()] == [[first.pk, second.pk]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--category", "nope"], "No category with the slug 'nope'."),
        (["--products", "999999"], "Unknown product IDs: 999999"),
        (
            ["--all", "--chunk-size", "0"],
            "Error: argument --chunk-size: 0 is out of range: 1 to 100,000",
        ),
        (
            ["--all", "--chunk-size", "100001"],
            "Error: argument --chunk-size: 100,001 is out of range: 1 to 100,000",
        ),
        (
            ["--products", str(10**20)],
            "Error: argument --products: 100,000,000,000,000,000,000 is out of range: "
            "1 to 9,223,372,036,854,775,807",
        ),
        (
            ["--all", "--wait", "--poll", "-1"],
            "Error: argument --poll: -1 is out of range: more than 0 and at most 60 seconds",
        ),
        (
            ["--all", "--wait", "--poll", "nan"],
            "Error: argument --poll: nan is out of range: more than 0 and at most 60 seconds",
        ),
    ],
)
def test_bad_input_is_one_readable_line_and_starts_nothing(args, message):
    with pytest.raises(CommandError) as error:
        _recompute(*args)

    assert str(error.value) == message
    assert not BulkRun.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "one of the arguments --all --category --products is required"),
        (["--all", "--products", "1"], "not allowed with argument"),
    ],
)
def test_exactly_one_scope_is_required(args, message):
    with pytest.raises(CommandError, match=message):
        _recompute(*args)


def test_no_scope_exits_with_status_2_from_the_shell():
    # argparse refuses before Django touches the database or the broker.
    result = subprocess.run(
        [sys.executable, "manage.py", "recompute_stats"],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "one of the arguments --all --category --products is required" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: publish at once
def test_unreachable_broker_keeps_the_run_for_the_resume_task(product_factory):
    product_factory()
    stderr = io.StringIO()

    with unreachable_broker(), pytest.raises(CommandError, match="is not on the queue yet"):
        call_command("recompute_stats", "--all", stdout=io.StringIO(), stderr=stderr)

    run = BulkRun.objects.get()
    assert run.status == BulkRun.Status.QUEUED
    assert run.chunks.get().published_at is None  # what the resume task looks for
    warning = stderr.getvalue()
    assert f"Warning: the chunks of bulk run {run.pk} could not be published" in warning
    assert "the resume task publishes them" in warning


def test_wait_shows_progress_until_the_run_is_done(broker_url, product_factory, worker_on_sleep):
    product_factory.create_batch(2)

    output = _recompute("--all", "--chunk-size", "1", "--wait", "--poll", "0.5")

    run = BulkRun.objects.get()
    lines = output.splitlines()
    assert "0% | 0/2 chunks | 0 products done | 0 failed | ETA 2m 00s" in lines[1]
    # The second chunk is due 2 minutes after the first started: counting down since.
    assert re.search(
        r" 50% \| 1/2 chunks \| 1 product done \| 0 failed \| ETA (2m 00|1m 5\d)s", lines[2]
    )
    assert "100% | 2/2 chunks | 2 products done | 0 failed | done" in lines[3]
    assert lines[4:] == [f"Bulk run {run.pk} done."]
    assert worker_on_sleep == [0.5, 0.5]
    assert run.status == BulkRun.Status.DONE


def test_wait_redraws_one_line_on_a_terminal(broker_url, product_factory, worker_on_sleep):
    product_factory.create_batch(2)
    terminal = TerminalOutput()

    _recompute("--all", "--chunk-size", "1", "--wait", stdout=terminal)

    summary, bar, done, end = terminal.getvalue().split("\n")
    assert summary.startswith("Bulk run")
    assert bar.count("\r") == 3  # three redraws of the same line
    assert bar.rstrip().endswith("| done")
    assert done.endswith("done.")
    assert end == ""


def test_wait_on_a_cancelled_run_exits_non_zero(broker_url, product_factory, monkeypatch):
    product_factory.create_batch(2)
    monkeypatch.setattr(
        recompute_stats.time,
        "sleep",
        lambda seconds: bulk_run_cancel(run_id=BulkRun.objects.get().pk),
    )

    with pytest.raises(CommandError, match=r"was cancelled at 0%: 0 of 2 chunks done, 2 cancelled"):
        _recompute("--all", "--chunk-size", "1", "--wait")


def test_wait_on_a_run_with_failed_chunks_exits_non_zero(
    broker_url, settings, product_factory, worker_on_sleep, monkeypatch
):
    settings.STATS_BULK_MAX_ATTEMPTS = 1
    product_factory()

    def broken_recompute(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("stats.bulk.services.product_stats_recompute", broken_recompute)

    with pytest.raises(CommandError, match=r"finished with failures: 1 of 1 chunk failed"):
        _recompute("--all", "--wait")

    assert BulkRun.objects.get().status == BulkRun.Status.FAILED


def test_ctrl_c_stops_waiting_but_not_the_run(broker_url, product_factory, monkeypatch):
    product_factory()

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(recompute_stats.time, "sleep", interrupted)

    with pytest.raises(CommandError, match=r"Stopped waiting; bulk run \d+ carries on") as error:
        _recompute("--all", "--wait")

    assert error.value.returncode == 130
    assert BulkRun.objects.get().status == BulkRun.Status.QUEUED


def test_wait_on_an_empty_catalog_is_done_at_once(broker_url, worker_on_sleep):
    output = _recompute("--all", "--wait")

    assert "0 products in 0 chunks" in output
    assert output.rstrip().endswith("done.")
    assert worker_on_sleep == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "0s"),
        (59.6, "1m 00s"),
        (200, "3m 20s"),
        (7500, "2h 05m"),
        (240_000, "2d 18h"),
    ],
)
def test_durations_are_shown_in_two_units_at_most(seconds, text):
    assert format_duration(seconds) == text


def test_in_process_computes_the_catalog_here_without_a_run(variant_factory):
    from stats.models import ProductStats

    for stock in (0, 4, 40):
        variant_factory(stock=stock)
    ProductStats.objects.all().delete()

    out = _recompute("--all", "--in-process")

    assert ProductStats.objects.count() == 3
    assert not BulkRun.objects.exists()
    assert "3 products computed, 0 already current, 0 failed" in out


@pytest.mark.parametrize(
    "args", [("--products", "1", "--in-process"), ("--all", "--in-process", "--wait")]
)
def test_in_process_is_for_the_whole_catalog_only(args):
    with pytest.raises(CommandError, match="--in-process recomputes the whole catalog"):
        _recompute(*args)
