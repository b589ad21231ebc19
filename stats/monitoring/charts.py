"""A dependency-free SVG line chart for the ops page (the admin has no charting library).

Made for reading at a glance: at most ``MAX_POINTS`` points per line (each the highest
value of its slice of time, so a spike is never averaged away), a time axis with round
ticks, each point's value on hover, and a scale that one spike does not flatten: when
the highest value is far above the rest, the scale stops at the rest and the spike is
drawn at the top edge with its real value.
"""

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from math import ceil

from django.utils import timezone
from django.utils.html import escape

#: One colour per line (ten, told apart also by people with the common colour-vision
#: deficiencies); beyond ten, lines repeat a colour with a dash pattern of their own.
COLOURS = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
]
DASHES = ["", "6 3", "2 2", "8 3 2 3"]
MAX_POINTS = 240
#: A value above SPIKE_FACTOR x the 95th percentile of the others is drawn as a spike.
SPIKE_FACTOR = 3

Series = dict[str, list[tuple[datetime, int | None]]]

#: Tick spacing by period length: (longest period, tick every, label format).
_TICKS = [
    (timedelta(hours=2), timedelta(minutes=10), "%H:%M"),
    (timedelta(hours=12), timedelta(hours=1), "%H:%M"),
    (timedelta(days=2), timedelta(hours=3), "%H:%M"),
    (timedelta(days=31), timedelta(days=1), "%a %d"),
]


def downsample(
    points: list[tuple[datetime, int | None]], *, start: datetime, end: datetime
) -> list[tuple[datetime, int | None]]:
    """At most ``MAX_POINTS`` points: the highest known value of each slice of time."""
    slice_seconds = max((end - start).total_seconds() / MAX_POINTS, 1)
    slices: dict[int, tuple[datetime, int | None]] = {}
    for when, value in points:
        key = int((when - start).total_seconds() // slice_seconds)
        kept = slices.get(key)
        if kept is None or (value is not None and (kept[1] is None or value > kept[1])):
            slices[key] = (when, value)
    return [slices[key] for key in sorted(slices)]


def chart_scale(values: list[int]) -> int:
    """The top of the scale: the highest value, unless a few spikes tower over the rest."""
    if not values:
        return 1
    ordered = sorted(values)
    typical = ordered[min(len(ordered) - 1, ceil(0.95 * len(ordered)) - 1)]
    top = ordered[-1]
    if typical > 0 and top > SPIKE_FACTOR * typical:
        return ceil(typical * 1.5)
    return max(top, 1)


def line_chart_svg(
    series: Series,
    *,
    start: datetime,
    end: datetime,
    width: int = 900,
    height: int = 240,
) -> str:
    """Lines of (time, value) over [start, end]; gaps (unknown values) break a line."""
    left, bottom, top, right = 55, 30, 12, 150
    plot_w, plot_h = width - left - right, height - top - bottom
    thinned = {name: downsample(points, start=start, end=end) for name, points in series.items()}
    values = [v for points in thinned.values() for _, v in points if v is not None]
    peak = chart_scale(values)
    span = max((end - start).total_seconds(), 1)
    local = timezone.get_current_timezone()

    def x(when: datetime) -> float:
        return left + plot_w * (when - start).total_seconds() / span

    def y(value: int) -> float:
        return top + plot_h * (1 - min(value, peak) / peak)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="queue depth and stale products">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#ccc"/>',
        f'<text x="{left - 5}" y="{top + 10}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{left - 5}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    parts += _time_axis(start, end, x, top + plot_h, local)
    for index, (name, points) in enumerate(sorted(thinned.items())):
        colour = COLOURS[index % len(COLOURS)]
        dash = DASHES[index // len(COLOURS) % len(DASHES)]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[str] = []
        segments = [segment]
        for when, value in points:
            if value is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{x(when):.1f},{y(value):.1f}")
            label = f"{name}: {value:,} at {timezone.localtime(when, local):%a %H:%M}"
            spike = value > peak
            parts.append(
                f'<circle cx="{x(when):.1f}" cy="{y(value):.1f}" r="{4 if spike else 3}" '
                f'fill="{colour}" fill-opacity="{1 if spike else 0}">'
                f"<title>{escape(label + (' (above the scale)' if spike else ''))}</title>"
                "</circle>"
            )
        for points_attr in filter(None, segments):
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.5"{dashed} '
                f'points="{" ".join(points_attr)}"/>'
            )
        legend_y = top + 14 * index + 10
        parts.append(
            f'<line x1="{left + plot_w + 8}" y1="{legend_y - 3}" x2="{left + plot_w + 22}" '
            f'y2="{legend_y - 3}" stroke="{colour}" stroke-width="3"{dashed}/>'
            f'<text x="{left + plot_w + 25}" y="{legend_y + 1}" '
            f'font-size="11">{escape(name)}</text>'
        )
    if values and max(values) > peak:
        parts.append(
            f'<text x="{left + plot_w + 10}" y="{top + plot_h}" font-size="11">'
            f"peak {max(values):,} (above the scale)</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _time_axis(
    start: datetime, end: datetime, x: Callable[[datetime], float], baseline: float, local: tzinfo
) -> list[str]:
    step, fmt = next(((s, f) for limit, s, f in _TICKS if end - start <= limit), _TICKS[-1][1:])
    first = timezone.localtime(start, local)
    # Round up to the next multiple of the step in local time (midnight for days).
    seconds = int(step.total_seconds())
    midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
    offset = (first - midnight).total_seconds()
    tick = midnight + timedelta(seconds=ceil(offset / seconds) * seconds)
    parts = []
    while tick <= end:
        at = x(tick)
        parts.append(
            f'<line x1="{at:.1f}" y1="{baseline}" x2="{at:.1f}" y2="{baseline + 4}" '
            'stroke="#999"/>'
            f'<text x="{at:.1f}" y="{baseline + 16}" text-anchor="middle" font-size="11">'
            f"{tick:{fmt}}</text>"
        )
        tick += step
    return parts
