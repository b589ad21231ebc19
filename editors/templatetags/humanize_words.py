"""Template filters over ``config.humanize``: durations in words for the admin's pages,
and short ones ("3m 30s") for the operators' pages; counts with their thousands separated.

Here because template libraries live in an installed app and ``config`` is not one; any
template may ``{% load humanize_words %}``.
"""

from datetime import timedelta

from django import template

from config.humanize import format_duration
from config.humanize import human_duration as _human_duration
from config.humanize import quantity as _quantity

register = template.Library()


@register.filter
def human_duration(value: timedelta | float | int | None) -> str:
    """``{{ cooloff_timedelta|human_duration }}`` -> ``"15 minutes"``."""
    return _human_duration(value)


@register.filter
def short_duration(value: float | int | None) -> str:
    """``{{ seconds|short_duration }}`` -> ``"3m 30s"``: the operators' one style."""
    return format_duration(value)


@register.filter
def quantity(count: int, singular: str) -> str:
    """``{{ 2000|quantity:"product" }}`` -> ``"2,000 products"`` (``config.humanize``)."""
    return _quantity(count, singular)


@register.filter
def thousands(count: int) -> str:
    """``{{ 12000|thousands }}`` -> ``"12,000"``: counts read as they do in sentences."""
    return f"{count:,}"
