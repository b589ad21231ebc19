"""Template filters over ``config.humanize``: durations in words for the admin's pages.

Here because template libraries live in an installed app and ``config`` is not one; any
template may ``{% load humanize_words %}``.
"""

from datetime import timedelta

from django import template

from config.humanize import human_duration as _human_duration

register = template.Library()


@register.filter
def human_duration(value: timedelta | float | int | None) -> str:
    """``{{ cooloff_timedelta|human_duration }}`` -> ``"15 minutes"``."""
    return _human_duration(value)
