"""Bulk recompute runs as the job centre lists them: statuses in the common words, the
schedule's runs for those who see everyone's jobs, Cancel as its page offers it."""

import pytest
from django.contrib.auth.models import Permission

from config.jobs import JobQuery, JobStatus
from stats.bulk.models import BulkRun
from stats.job_source import bulk_run_jobs, bulk_run_status

S = BulkRun.Status


@pytest.mark.parametrize(
    ("status", "chunks_done", "expected"),
    [
        (S.QUEUED, 0, JobStatus.QUEUED),
        (S.RUNNING, 1, JobStatus.RUNNING),
        (S.DONE, 2, JobStatus.DONE),
        (S.FAILED, 2, JobStatus.FAILED),  # "done with failures"
        (S.CANCELLED, 0, JobStatus.CANCELLED),
        (S.CANCELLED, 1, JobStatus.STOPPED),
    ],
)
def test_a_runs_status_in_the_common_words(status, chunks_done, expected):
    assert bulk_run_status(BulkRun(status=status, chunks_done=chunks_done)) == expected


def _run(user=None, status=S.RUNNING) -> BulkRun:
    return BulkRun.objects.create(
        trigger=BulkRun.Trigger.EDITOR if user else BulkRun.Trigger.SCHEDULE,
        started_by=user,
        scope=BulkRun.Scope.ALL,
        status=status,
        chunk_size=100,
        rate_limit="30/h",
        chunks_total=2,
        products_total=200,
        products_done=50,
    )


@pytest.mark.django_db
def test_an_editor_sees_and_stops_their_own_runs_only(editor_factory):
    alice = editor_factory(username="alice")
    own, _nightly = _run(alice), _run(None)

    (row,) = bulk_run_jobs(JobQuery(user=alice, everyone=False, limit=5))

    assert (row.id, row.who, row.done, row.total) == (own.pk, "alice", 50, 200)
    assert row.stop_url.endswith(f"/bulkrun/{own.pk}/cancel/")
    assert row.eta is not None and row.eta > 0


@pytest.mark.django_db
def test_everyones_runs_name_the_schedule_and_offer_cancel_to_ops_only(editor_factory):
    alice, ops = editor_factory(username="alice"), editor_factory(username="ops")
    nightly = _run(None)

    (row,) = bulk_run_jobs(JobQuery(user=alice, everyone=True, limit=5))
    assert (row.id, row.who, row.stop_url) == (nightly.pk, "The nightly schedule", "")

    ops.user_permissions.add(Permission.objects.get(codename="cancel_bulkrun"))
    ops = type(ops).objects.get(pk=ops.pk)
    (row,) = bulk_run_jobs(JobQuery(user=ops, everyone=True, limit=5))
    assert row.stop_url.endswith(f"/bulkrun/{nightly.pk}/cancel/")
