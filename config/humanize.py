"""Numbers and durations in words, for anything an editor or operator reads.

Shared by every app (catalog, stats and editors may all import ``config``), so a count
reads "1 product", never "1 products", and a duration "15 minutes", never "PT15M" or
"900 seconds", wherever it is shown. Plurals go through ``ngettext`` so the words stay
translatable, although the admin is English-only today.
"""

from datetime import timedelta

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
