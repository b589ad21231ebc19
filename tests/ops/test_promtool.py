"""Prometheus' own tool on what ops/ ships: the alert rules load, every alert has unit
tests that pass (ops/prometheus/alerts_test.yml), and a live /metrics scrape passes its
lint. promtool comes from Debian's prometheus package (scripts/system-deps.sh promtool).
"""

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

RULES_DIR = Path(__file__).resolve().parents[2] / "ops" / "prometheus"
RULES = RULES_DIR / "alerts.yml"
RULE_TESTS = RULES_DIR / "alerts_test.yml"


def _promtool(promtool: str, *args: str, stdin: str | None = None) -> None:
    """Runs promtool; on a non-zero exit, fails with the command and all it printed."""
    result = subprocess.run(
        [promtool, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=RULES_DIR,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"`promtool {' '.join(args)}` exited with {result.returncode}:\n"
        f"{result.stdout}{result.stderr}"
    )


def _alerts() -> dict[str, timedelta]:
    """Each alert of alerts.yml and its ``for:``."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {
        rule["alert"]: promql_parser.parse_duration(rule.get("for", "0s"))
        for group in groups
        for rule in group["rules"]
        if "alert" in rule
    }


def _cases(alert: str) -> list[dict[timedelta, bool]]:
    """Per test group of alerts_test.yml: evaluation time -> ``alert`` expected firing."""
    cases = []
    for group in yaml.safe_load(RULE_TESTS.read_text())["tests"]:
        tests: list[dict[str, Any]] = group.get("alert_rule_test", [])
        evaluations = {
            promql_parser.parse_duration(test["eval_time"]): bool(test.get("exp_alerts"))
            for test in tests
            if test["alertname"] == alert
        }
        if evaluations:
            cases.append(evaluations)
    return cases


@pytest.mark.promtool
def test_the_alert_rules_pass_promtool_check_rules(promtool):
    _promtool(promtool, "check", "rules", RULES.name)


@pytest.mark.promtool
def test_the_alert_rules_pass_their_promtool_unit_tests(promtool):
    _promtool(promtool, "test", "rules", RULE_TESTS.name)


@pytest.mark.parametrize("alert", sorted(_alerts()))
def test_every_alert_is_unit_tested_firing_on_time_and_silent_on_a_near_miss(alert):
    """promtool checks the cases; this checks that each alert has them: one where it
    fires and a minute earlier it did not (its ``for:`` held), one where it never fires."""
    held_for = _alerts()[alert]
    minute = timedelta(minutes=1)
    cases = _cases(alert)
    fires_on_time = any(
        fires and at >= held_for and case.get(at - minute) is False
        for case in cases
        for at, fires in case.items()
    )
    near_miss = any(not any(case.values()) for case in cases)
    assert fires_on_time, f"{RULE_TESTS.name}: no case where {alert} starts firing"
    assert near_miss, f"{RULE_TESTS.name}: no near miss where {alert} stays silent"


@pytest.mark.promtool
def test_a_live_metrics_scrape_passes_promtool_check_metrics(promtool, metrics_scrape):
    assert "catalog_check_status" in metrics_scrape
    _promtool(promtool, "check", "metrics", stdin=metrics_scrape)
