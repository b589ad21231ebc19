"""The job centre's registry: the time left from the rate so far, and the merge of every
app's latest jobs, newest first, bounded by what the page asks."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from config import jobs
from config.jobs import JobQuery, JobRow, JobStatus, eta_seconds, jobs_listed

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_the_time_left_follows_the_rate_so_far():
    # 40 of 120 in 20 s: 2 a second, 80 left -> 40 s.
    started = NOW - timedelta(seconds=20)
    assert eta_seconds(done=40, total=120, started_at=started, now=NOW) == pytest.approx(40.0)


def test_the_time_left_is_unknown_before_the_first_item_or_without_a_start_or_total():
    started = NOW - timedelta(seconds=20)
    assert eta_seconds(done=0, total=120, started_at=started, now=NOW) is None
    assert eta_seconds(done=10, total=120, started_at=None, now=NOW) is None
    assert eta_seconds(done=0, total=0, started_at=started, now=NOW) is None


def test_the_time_left_is_zero_once_everything_is_done():
    assert eta_seconds(done=5, total=5, started_at=NOW, now=NOW) == 0.0


def test_a_clock_behind_the_start_never_gives_a_negative_time_left():
    assert eta_seconds(done=1, total=2, started_at=NOW + timedelta(seconds=5), now=NOW) == 0.0


def _row(kind: str, number: int, minutes_ago: int) -> JobRow:
    return JobRow(
        kind=kind,
        id=number,
        who="alice",
        what=f"{kind} {number}",
        status=JobStatus.DONE,
        done=1,
        total=1,
        unit="product",
        created_at=NOW - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def two_sources(monkeypatch):
    """Two kinds of job, each source answering its own latest ``limit`` rows."""
    asked: list[int] = []
    imports = [_row("Import", n, minutes_ago=10 * n) for n in range(1, 6)]
    edits = [_row("Bulk edit", n, minutes_ago=10 * n + 5) for n in range(1, 6)]

    def source(rows):
        def answer(query: JobQuery) -> list[JobRow]:
            asked.append(query.limit)
            return rows[: query.limit]

        return answer

    monkeypatch.setattr(jobs, "_sources", {})
    jobs.register_job_source("imports", source(imports))
    jobs.register_job_source("edits", source(edits))
    return asked


def test_the_sources_are_merged_newest_first_and_cut_to_the_limit(two_sources):
    rows = jobs_listed(JobQuery(user=AnonymousUser(), everyone=False, limit=4))

    assert [(row.kind, row.id) for row in rows] == [
        ("Import", 1),
        ("Bulk edit", 1),
        ("Import", 2),
        ("Bulk edit", 2),
    ]
    assert two_sources == [4, 4]  # each asked for no more than the page needs


def test_a_source_registered_again_replaces_the_first():
    before = jobs.job_sources()
    try:
        jobs.register_job_source("twice", lambda query: [])
        jobs.register_job_source("twice", lambda query: [_row("Import", 1, 0)])
        assert len(jobs.job_sources()["twice"](JobQuery(AnonymousUser(), False, 1))) == 1
    finally:
        jobs._sources.pop("twice", None)
    assert jobs.job_sources().keys() == before.keys()


def test_every_app_registers_its_jobs_when_django_starts():
    assert {"imports", "bulk edits", "exports", "bulk recompute runs"} <= jobs.job_sources().keys()


def test_a_row_counts_its_percent_and_whether_it_is_still_going():
    row = JobRow("Import", 1, "alice", "x", JobStatus.RUNNING, 1, 3, "product", NOW)
    assert (row.percent, row.is_active) == (33, True)
    assert JobRow("Import", 1, "a", "x", JobStatus.STOPPED, 0, 0, "product", NOW).percent == 0
