"""ops/grafana/dashboard.json: every query is PromQL over exported metrics, every panel
says what it shows and in which unit.

Queries are parsed by promql-parser (GreptimeTeam's Rust parser of Prometheus' grammar),
not by a pattern of our own; the metric names come out of its syntax tree and are held
against a real /metrics scrape.
"""

import json
from pathlib import Path
from typing import Any

import promql_parser
import pytest
from prometheus_client.parser import text_string_to_metric_families

DASHBOARD = Path(__file__).resolve().parents[2] / "ops" / "grafana" / "dashboard.json"

#: The unit a target must show in, by its metric's base-unit suffix (Prometheus' naming).
UNIT_BY_SUFFIX = {"_seconds": "s", "_ratio": "percentunit"}


def _panels() -> list[dict[str, Any]]:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # a collapsed row holds its own
    return [panel for panel in panels if panel["type"] != "row"]


def _targets() -> list[tuple[str, dict[str, Any]]]:
    return [(panel["title"], target) for panel in _panels() for target in panel["targets"]]


def _metric_names(expr: str) -> set[str]:
    """The metric every selector in ``expr`` names; "" for a selector that names none."""
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            by_matcher = [m.value for m in node.matchers.matchers if m.name == "__name__"]
            names.add(node.name or (by_matcher[0] if by_matcher else ""))

    promql_parser.walk(promql_parser.parse(expr), pre_visit=visit)
    return names


def _base_unit(metric: str) -> str | None:
    for suffix in ("_bucket", "_sum", "_count", "_total"):
        metric = metric.removesuffix(suffix)
    return next((s for s in UNIT_BY_SUFFIX if metric.endswith(s)), None)


def test_every_query_parses_as_promql():
    errors = []
    for title, target in _targets():
        try:
            promql_parser.parse(target["expr"])
        except ValueError as exc:
            errors.append(f"{title!r} [{target['refId']}]: {target['expr']}\n    {exc}")
    assert not errors, "Not PromQL:\n" + "\n".join(errors)


def test_every_query_names_only_metrics_that_the_scrape_exports(metrics_scrape):
    # What Prometheus stores: the samples' names (a counter's _total, a histogram's
    # _bucket, _sum and _count), not the family names of the exposition's # TYPE lines.
    exported = {
        sample.name
        for family in text_string_to_metric_families(metrics_scrape)
        for sample in family.samples
    }
    targets = _targets()
    assert targets, "the dashboard has no query"
    missing = {
        f"{title!r} [{target['refId']}]: {name or '(a selector without a metric name)'}"
        for title, target in targets
        for name in _metric_names(target["expr"])
        if name not in exported
    }
    assert not missing, (
        "The dashboard names metrics that /metrics does not export:\n"
        + "\n".join(sorted(missing))
        + f"\nExported: {', '.join(sorted(exported))}"
    )


def test_every_panel_has_a_description_and_a_unit():
    unexplained = [
        panel["title"]
        for panel in _panels()
        if not panel.get("description", "").strip()
        or not panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
    ]
    assert not unexplained, f"Panels without a description or a unit: {unexplained}"


def _unit(panel: dict[str, Any], ref_id: str) -> str:
    """The unit Grafana shows ``ref_id``'s series in: its override, else the panel's."""
    for override in panel["fieldConfig"].get("overrides", []):
        if override["matcher"] == {"id": "byFrameRefID", "options": ref_id}:
            for prop in override["properties"]:
                if prop["id"] == "unit":
                    return prop["value"]
    return panel["fieldConfig"]["defaults"]["unit"]


@pytest.mark.parametrize("panel", _panels(), ids=lambda panel: panel["title"])
def test_seconds_and_ratios_show_in_their_unit(panel):
    """A panel that mixes a count and a duration gives the duration its own unit."""
    wrong = []
    for target in panel["targets"]:
        units = {_base_unit(name) for name in _metric_names(target["expr"])}
        expected = UNIT_BY_SUFFIX.get(units.pop()) if len(units) == 1 else None
        shown = _unit(panel, target["refId"])
        fits = shown == expected if expected else shown not in UNIT_BY_SUFFIX.values()
        if not fits:
            wrong.append(f"[{target['refId']}] {target['expr']}: shown in {shown!r}")
    assert not wrong, f"Units that do not fit the metric: {wrong}"
