"""Plain-text formatting shared by the ``recompute_stats`` command and the admin."""

from collections.abc import Iterable

from stats.bulk.models import BulkRun
from stats.recompute.models import CategoryPriceRange, ProductStats

#: What a product with variants in several currencies shows instead of a price range.
MIXED_CURRENCIES = "no price range: its variants use several currencies (give them one)"


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
    """A task's duration: ``0.0123`` -> ``"12 ms"``, ``4.25`` -> ``"4.2 s"``, None -> ``"-"``."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return format_duration(seconds)


def format_scope(run: BulkRun) -> str:
    """What a run covers, in words: ``"categories Hats and Shoes with their subcategories"``.

    Reads ``run.categories``: prefetch them where many runs are listed.
    """
    if run.scope != BulkRun.Scope.CATEGORY:
        return run.get_scope_display().lower()
    names = sorted(category.name for category in run.categories.all())
    if not names:
        return "deleted categories and their subcategories"
    if len(names) == 1:
        return f"category {names[0]} and its subcategories"
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    return f"categories {listed} with their subcategories"


def format_product_prices(stats: ProductStats) -> str:
    """``"EUR 13.53 - 497.55 (average 174.73)"``: every figure in the product's currency."""
    if not stats.currency:
        return MIXED_CURRENCIES if stats.variant_count else "-"
    return f"{stats.currency} {stats.price_min} - {stats.price_max} (average {stats.price_avg})"


def format_price_ranges(ranges: Iterable[CategoryPriceRange]) -> str:
    """``"EUR 2.50 - 99.00; USD 4.00 - 12.00"``: one range per currency, never one overall."""
    return "; ".join(f"{r.currency} {r.price_min} - {r.price_max}" for r in ranges) or "-"
