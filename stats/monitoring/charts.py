"""A dependency-free SVG line chart for the ops page (the admin has no charting library)."""

from datetime import datetime

from django.utils.html import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def line_chart_svg(
    series: dict[str, list[tuple[datetime, int | None]]],
    *,
    start: datetime,
    end: datetime,
    width: int = 900,
    height: int = 220,
) -> str:
    """Lines of (time, value) over [start, end]; gaps (unknown values) break a line."""
    left, bottom, top, right = 50, 25, 10, 150
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for points in series.values() for _, v in points if v is not None]
    peak = max(values, default=0) or 1
    span = max((end - start).total_seconds(), 1)

    def x(when: datetime) -> float:
        return left + plot_w * (when - start).total_seconds() / span

    def y(value: int) -> float:
        return top + plot_h * (1 - value / peak)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="queue depth and stale products, last 24 hours">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#ccc"/>',
        f'<text x="{left - 5}" y="{top + 10}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{left - 5}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
        f'<text x="{left}" y="{height - 5}" font-size="11">{start:%H:%M}</text>',
        f'<text x="{left + plot_w}" y="{height - 5}" text-anchor="end" font-size="11">'
        f"{end:%H:%M} UTC</text>",
    ]
    for index, (name, points) in enumerate(sorted(series.items())):
        colour = COLOURS[index % len(COLOURS)]
        segment: list[str] = []
        segments = [segment]
        for when, value in points:
            if value is None:
                segment = []
                segments.append(segment)
            else:
                segment.append(f"{x(when):.1f},{y(value):.1f}")
        for points_attr in filter(None, segments):
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                f'points="{" ".join(points_attr)}"/>'
            )
        legend_y = top + 14 * index + 10
        parts.append(
            f'<rect x="{left + plot_w + 10}" y="{legend_y - 8}" width="10" height="10" '
            f'fill="{colour}"/><text x="{left + plot_w + 25}" y="{legend_y + 1}" '
            f'font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
