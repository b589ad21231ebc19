"""Fixtures of the ops tests: Debian's promtool and a live /metrics scrape."""

import shutil

import pytest
from django.urls import reverse

from stats.monitoring.services import monitoring_snapshot_store
from tests.conftest import IN_CI
from tests.ops.snapshots import busy_snapshot

SCRAPE_TOKEN = "ops-scrape-token"


@pytest.fixture(scope="session")
def promtool() -> str:
    """promtool's path. Missing, it fails the test under CI (make test installs it), and
    skips it elsewhere with the command that installs it."""
    path = shutil.which("promtool")
    if not path:
        message = (
            "promtool is not installed: it comes with Debian's prometheus package "
            "(scripts/system-deps.sh promtool; make test runs it)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def metrics_scrape(db, client, settings) -> str:
    """/metrics as Prometheus scrapes it: the real view with the bearer token, serving a
    stored snapshot in which every figure has a value (so every family is exported)."""
    settings.METRICS_TOKEN = SCRAPE_TOKEN
    settings.STATS_BATCH_SHARDS = 2  # the shards' check and gauge exist
    settings.STATS_MONITOR_EXPECT_BULK_STANDBY = True  # and the standby's check
    monitoring_snapshot_store(busy_snapshot())
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}")
    assert response.status_code == 200, response.content
    return response.content.decode()
