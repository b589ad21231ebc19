"""The ops chart: readable at a glance whatever the period and however spiky the data."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from stats.monitoring.charts import MAX_POINTS, chart_scale, downsample, line_chart_svg

START = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def _minutes(values: list[int | None]) -> list[tuple[datetime, int | None]]:
    return [(START + timedelta(minutes=i), v) for i, v in enumerate(values)]


def test_a_one_off_spike_does_not_flatten_the_scale():
    values = [10 + i % 5 for i in range(1440)]
    values[700] = 50_000
    assert chart_scale(values) < 100  # the ordinary 10-14 use most of the height
    assert chart_scale([10, 20, 30]) == 30  # no spike: the highest value tops the scale


def test_a_spike_is_drawn_at_the_top_with_its_real_value():
    values = [10 + i % 5 for i in range(1440)]
    values[700] = 50_000
    svg = line_chart_svg(
        {"stats.batch": _minutes(values)}, start=START, end=START + timedelta(days=1)
    )
    assert "peak 50,000 (above the scale)" in svg
    assert "stats.batch: 50,000 at" in svg  # its hover text keeps the real value


def test_every_point_shows_its_value_on_hover():
    svg = line_chart_svg(
        {"stale products": _minutes([3, 7, None, 5])}, start=START, end=START + timedelta(hours=1)
    )
    titles = re.findall(r"<title>([^<]+)</title>", svg)
    assert [t.split(" at ")[0] for t in titles] == [
        "stale products: 3",
        "stale products: 7",
        "stale products: 5",
    ]
    assert svg.count("<polyline") == 2  # the unknown value breaks the line


def test_downsampling_keeps_the_highest_value_of_each_slice():
    week = [(START + timedelta(minutes=i), i % 97) for i in range(7 * 24 * 60)]
    thinned = downsample(week, start=START, end=START + timedelta(days=7))
    assert len(thinned) <= MAX_POINTS
    assert max(v for _, v in thinned) == 96


def test_the_time_axis_has_round_ticks_for_each_period():
    one_hour = line_chart_svg(
        {"q": _minutes([1] * 60)}, start=START, end=START + timedelta(hours=1)
    )
    week = line_chart_svg({"q": _minutes([1] * 60)}, start=START, end=START + timedelta(days=7))
    assert re.findall(r">(\d\d:\d0)</text>", one_hour)[:3] == ["00:00", "00:10", "00:20"]
    assert "Wed 25" in week and "Thu 26" in week


def test_each_line_has_a_look_of_its_own_and_a_legend_entry():
    names = [f"queue {n:02d}" for n in range(12)]  # more lines than colours
    svg = line_chart_svg(
        {name: _minutes([1, 2, 3]) for name in names}, start=START, end=START + timedelta(hours=1)
    )
    looks = re.findall(r'<polyline fill="none" stroke="([^"]+)" stroke-width="1.5"([^/]*)', svg)
    assert len(looks) == len(names) and len(set(looks)) == len(names)
    legend = re.findall(r'font-size="11">(queue \d\d)</text>', svg)
    assert legend == names


@pytest.mark.django_db
def test_the_ops_page_charts_the_last_hour_by_default(admin_client):
    page = admin_client.get("/admin/stats/opsdashboard/").content.decode()
    assert "last 1h" in page and "<strong>[1h]</strong>" in page
