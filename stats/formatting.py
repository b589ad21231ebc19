"""Plain-text formatting shared by the ``recompute_stats`` command and the admin."""

from collections.abc import Iterable

# Durations are written one way for every operator face (commands, ops page, checks):
# ``config.humanize`` holds them so monitoring uses them too.
from config.humanize import format_duration as format_duration
from config.humanize import format_task_duration as format_task_duration
from stats.bulk.models import BulkRun
from stats.recompute.models import CategoryPriceRange, ProductStats

#: What a product with variants in several currencies shows instead of a price range.
MIXED_CURRENCIES = "no price range: its variants use several currencies (give them one)"


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
