"""Numbers and durations in words, for anything an editor or operator reads.

Shared by every app (catalog, stats and editors may all import ``config``), so a count
reads "1 product", never "1 products", and a duration "15 minutes", never "PT15M" or
"900 seconds", wherever it is shown. Plurals go through ``ngettext`` so the words stay
translatable, although the admin is English-only today.
"""

from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import ngettext

#: (seconds in the unit, singular, plural), largest first.
_UNITS = [
    (86400, "day", "days"),
    (3600, "hour", "hours"),
    (60, "minute", "minutes"),
    (1, "second", "seconds"),
]


def quantity(count: int, singular: str, plural: str | None = None) -> str:
    """``quantity(1, "product")`` -> ``"1 product"``; ``2000`` -> ``"2,000 products"``.

    ``plural`` defaults to ``singular + "s"``; give it for the others
    (``quantity(n, "category", "categories")``).
    """
    word = ngettext(singular, plural or f"{singular}s", count)
    return f"{count:,} {word}"


def human_duration(value: timedelta | float | int | None) -> str:
    """``timedelta(minutes=15)`` -> ``"15 minutes"``; ``252`` s -> ``"4 minutes 12 seconds"``.

    At most two units, the second dropped when zero (``"1 hour"``, ``"2 days 3 hours"``):
    a person reading "try again in" or "within" wants an order of magnitude, not a
    stopwatch. Rounded to the second; ``None`` (unknown) -> ``""``, so a template can
    fall back with ``|default``.
    """
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    remaining = max(0, round(seconds))
    if remaining == 0:
        return quantity(0, "second")
    parts: list[str] = []
    for size, singular, plural in _UNITS:
        amount, remaining = divmod(remaining, size)
        if amount:
            parts.append(quantity(amount, singular, plural))
        elif parts:
            break  # "1 hour", not "1 hour 0 minutes 5 seconds"
        if len(parts) == 2:
            break
    return " ".join(parts)


# --- Short durations, for operators: one style ("45s", "3m 30s", "2h 05m") everywhere ---


def format_duration(seconds: float | None) -> str:
    """``200`` -> ``"3m 20s"``, ``7500`` -> ``"2h 05m"``; ``None`` (no estimate) -> ``"-"``.

    Two units at most: at 30 chunks an hour an ETA is hours or days away, and seconds
    of precision there would only suggest an accuracy the rate limit cannot give.
    """
    if seconds is None:
        return "-"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_task_duration(seconds: float | None) -> str:
    """A task's duration: ``0.0123`` -> ``"12ms"``, ``4.25`` -> ``"4.2s"``, None -> ``"-"``."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return format_duration(seconds)


def format_moment(value: datetime | None) -> str:
    """``"5 Dec 2026, 19:14"`` in the site's time zone: the one way a moment is written
    on the admin's pages (``DATETIME_FORMAT``, config/formats); ``None`` -> ``"-"``."""
    if value is None:
        return "-"
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
