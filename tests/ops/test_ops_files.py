"""ops/: the alert rules reference only what /metrics exports, and every check has an alert.

The dashboard's own checks are in test_dashboard.py; promtool's in test_promtool.py.
"""

import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from stats.monitoring.metrics import snapshot_metrics
from tests.ops.snapshots import busy_snapshot

OPS = Path(__file__).resolve().parents[2] / "ops"
METRIC = re.compile(r"\bcatalog_[a-z_]+\b")
CHECK = re.compile(r'check="([^"]+)"')


@pytest.fixture(scope="module")
def exported() -> set[str]:
    text = snapshot_metrics(busy_snapshot()).decode()
    # The samples' names, what Prometheus stores: a counter's end in _total, a histogram's
    # in _bucket, _sum and _count (its family name alone selects nothing).
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


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
    checks = {check.name for check in busy_snapshot().checks}
    alerted = {name for rule in rules for name in CHECK.findall(rule["expr"])}
    assert checks <= alerted, checks - alerted
    assert alerted <= checks, alerted - checks  # no alert on a check that does not exist
