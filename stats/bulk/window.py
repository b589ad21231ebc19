"""How many products a bulk chunk holds: enough that a whole-catalog run ends within its window.

The bulk queue does a fixed number of chunks an hour (``STATS_BULK_RATE_LIMIT``, 30/h):
at a fixed 1,000 products a chunk, a run of 1,000,000 products is 1,000 chunks, 33 hours,
so the nightly run could never end before the next one starts. What has to hold is the
time a run takes, not the size of a chunk: a run of N products fits in
``STATS_BULK_WINDOW_HOURS`` when each chunk holds N / (window x chunks an hour), e.g.
1,000,000 / (8 h x 30/h) = 4,167 products in each of 240 chunks.

Bounds: never fewer than ``STATS_BULK_CHUNK_SIZE`` products (a small catalog keeps small
chunks, and the same run as before: the window only matters from
``STATS_BULK_CHUNK_SIZE`` x window x rate products on, 240,000 by default), never more than
``MAX_CHUNK_SIZE`` (a chunk is one task, which must end within ``STATS_BULK_TIME_LIMIT``:
``bench/scale.py`` measures the seconds a chunk takes at the largest size). A catalog too
large for the window even at the largest chunks runs longer: ``bulk_run_fits_window``
tells the command, which says so.
"""

import math

from django.conf import settings

from stats.bulk.selectors import seconds_per_task

#: A chunk is one message and one task, which must end within STATS_BULK_TIME_LIMIT.
MAX_CHUNK_SIZE = 100_000


def chunks_per_hour(rate_limit: str) -> float | None:
    """Chunks the bulk queue does in an hour at a Celery rate limit (None: no limit)."""
    seconds = seconds_per_task(rate_limit)
    return 3600 / seconds if seconds else None


def bulk_chunk_size(
    products: int,
    *,
    window_hours: float,
    rate_limit: str,
    smallest: int,
    largest: int = MAX_CHUNK_SIZE,
) -> int:
    """Products per chunk for a run of ``products``, so the run fits ``window_hours``."""
    per_hour = chunks_per_hour(rate_limit)
    if per_hour is None or window_hours <= 0:
        return smallest  # no rate limit (or no window): the chunk count costs no time
    needed = math.ceil(products / (window_hours * per_hour)) if products else 0
    return max(smallest, min(largest, needed))


def bulk_chunk_size_for(products: int) -> int:
    """``bulk_chunk_size`` with this deployment's settings."""
    return bulk_chunk_size(
        products,
        window_hours=settings.STATS_BULK_WINDOW_HOURS,
        rate_limit=settings.STATS_BULK_RATE_LIMIT,
        smallest=settings.STATS_BULK_CHUNK_SIZE,
    )


def bulk_run_hours(products: int, chunk_size: int, *, rate_limit: str) -> float:
    """Hours a run of ``products`` in chunks of ``chunk_size`` takes at ``rate_limit``."""
    per_hour = chunks_per_hour(rate_limit)
    if per_hour is None or not products:
        return 0.0
    return math.ceil(products / chunk_size) / per_hour


def bulk_run_fits_window(products: int, chunk_size: int) -> bool:
    """Whether a run of ``products`` in chunks of ``chunk_size`` ends within the window."""
    hours = bulk_run_hours(products, chunk_size, rate_limit=settings.STATS_BULK_RATE_LIMIT)
    return hours <= settings.STATS_BULK_WINDOW_HOURS
