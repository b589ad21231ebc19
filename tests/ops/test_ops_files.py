"""ops/: the alert rules and the dashboard reference only what /metrics exports."""

import json
import re
import time
from pathlib import Path

import pytest
import yaml
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from config.queues import QUEUE_DEFAULT, QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from stats.monitoring.checks import freshness_check, monitoring_checks
from stats.monitoring.metrics import snapshot_metrics
from stats.monitoring.snapshot import BatchBuffer, QueueFigures, ShardFigures, Snapshot
from stats.records.selectors import TaskFigures, TaskWindow
from stats.records.task_runs import DURATION_BUCKETS, TASKS

OPS = Path(__file__).resolve().parents[2] / "ops"
METRIC = re.compile(r"\bcatalog_[a-z_]+\b")
CHECK = re.compile(r'check="([^"]+)"')


def _busy_snapshot() -> Snapshot:
    """A snapshot in which every gauge has something to measure."""
    queues = {
        name: QueueFigures(name, "management", ready=3, unacked=1, consumers=2, active_consumers=1)
        for name in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_DEFAULT)
    }
    buffer = BatchBuffer(
        "batch@host",
        "stats.product_stats_batch",
        5,
        time.time() - 10,
        time.time() - 99,
        300,
        100,
        buffered_since=time.time() - 5,
    )
    snapshot = Snapshot(
        taken_at=timezone.now(),
        broker_source="management",
        queues=queues,
        batch_buffers=[buffer],
        bulk_run={"id": 1, "percent": 40, "eta_seconds": 600},
        stale_products=2,
        oldest_stale_seconds=30.0,
        stale_categories=1,
        batch_failed_products=1,
        batch_rejected_requests=1,
        batch_shards=[ShardFigures(0, "stats.batch.shard.0", ["batch@host"], 1, 0, 0, 60.0)],
        tasks=[
            TaskFigures(
                task,
                TaskWindow(1, 1, 0.1, 0.2),
                TaskWindow(2, 1, 0.1, 0.2),
                2,
                1,
                0.3,
                [1] + [0] * len(DURATION_BUCKETS),
            )
            for task in TASKS
        ],
        source_lag={"broker": 5.0, "workers": 0.0, "database": 0.0},
    )
    snapshot.checks = [freshness_check(1.0, 30), *monitoring_checks(snapshot)]
    return snapshot


@pytest.fixture(scope="module")
def exported() -> set[str]:
    text = snapshot_metrics(_busy_snapshot()).decode()
    families = list(text_string_to_metric_families(text))
    # Families and their samples' names: counters end in _total, histograms in _bucket...
    return {f.name for f in families} | {s.name for f in families for s in f.samples}


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    loaded = yaml.safe_load((OPS / "prometheus" / "alerts.yml").read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def test_every_alert_rule_is_complete_and_ignores_single_blips(rules):
    for rule in rules:
        assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule), rule
        assert rule["labels"]["severity"] in {"warning", "critical"}
        minutes = int(rule["for"].rstrip("m"))
        assert minutes >= 2, f"{rule['alert']} would fire on one bad sample"


def test_the_alert_rules_reference_only_exported_metrics(rules, exported):
    referenced = {name for rule in rules for name in METRIC.findall(rule["expr"])}
    assert referenced and referenced <= exported, referenced - exported


def test_every_check_has_an_alert(rules, settings):
    settings.STATS_MONITOR_EXPECT_BULK_STANDBY = True  # so the standby check exists too
    settings.STATS_BATCH_SHARDS = 2  # and the shards' check
    checks = {check.name for check in _busy_snapshot().checks}
    alerted = {name for rule in rules for name in CHECK.findall(rule["expr"])}
    assert checks <= alerted, checks - alerted
    assert alerted <= checks, alerted - checks  # no alert on a check that does not exist


def test_the_dashboard_references_only_exported_metrics(exported):
    dashboard = json.loads((OPS / "grafana" / "dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    referenced = {name for expr in exprs for name in METRIC.findall(expr)}
    assert referenced and referenced <= exported, referenced - exported
