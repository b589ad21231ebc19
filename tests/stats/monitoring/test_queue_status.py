"""``queue_status`` reads the snapshot the sampler stored, as the web faces do."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.queues import QUEUE_STATS_BATCH
from stats.monitoring import probes
from stats.monitoring.checks import monitoring_checks
from stats.monitoring.services import monitoring_snapshot_store
from stats.monitoring.snapshot import QueueFigures, Snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_live_probe(monkeypatch):
    """Without --live the command must not ask the broker or the workers."""

    def refuse(**kwargs):
        raise AssertionError("queue_status probed live without --live")

    monkeypatch.setattr(probes, "take_snapshot", refuse)


def _stored(*, ready: int, age: float = 0.0) -> None:
    snapshot = Snapshot(
        taken_at=timezone.now() - timedelta(seconds=age),
        broker_source="management",
        queues={QUEUE_STATS_BATCH: QueueFigures(QUEUE_STATS_BATCH, "management", ready=ready)},
    )
    snapshot.checks = monitoring_checks(snapshot)
    monitoring_snapshot_store(snapshot)


def _queue_status(*args: str) -> tuple[int, str]:
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("queue_status", *args, stdout=out)
    return exit_.value.code, out.getvalue()


def test_the_stored_snapshot_is_printed_without_asking_the_broker():
    _stored(ready=1234)

    _, output = _queue_status()

    (row,) = [line for line in output.splitlines() if line.startswith(QUEUE_STATS_BATCH)]
    assert row.split()[1] == "1,234"
    assert "monitoring: snapshot 0s old" in output


def test_json_prints_the_stored_snapshot_with_its_age():
    _stored(ready=7, age=3)

    _, output = _queue_status("--json")

    data = json.loads(output)
    assert data["queues"][QUEUE_STATS_BATCH]["ready"] == 7
    assert data["age_seconds"] >= 3


def test_without_a_snapshot_the_sampler_is_named_and_the_exit_is_critical():
    code, output = _queue_status()

    assert code == 2
    assert "[CRITICAL] monitoring: no snapshot yet: the sampler runs in the beat process" in output


def test_a_stale_snapshot_is_critical_whatever_it_says(settings):
    settings.STATS_MONITOR_SNAPSHOT_MAX_AGE = 30
    _stored(ready=0, age=120)

    code, output = _queue_status()

    assert code == 2
    assert "latest snapshot is 2m 00s old (> 30s): is beat running?" in output
