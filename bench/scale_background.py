"""The background paths at catalog scale: category refresh, stale sweep, snapshot, bulk chunk.

Usage (seeds the catalog first if it is smaller than --products, then computes every
product's statistics in-process; ``--paths sweep`` measures the sweep alone):
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_scale \
        .venv/bin/python bench/scale_background.py --products 1000000

Each figure beside its goal (issue #27) and a baseline measured in the same run:

- the category refresh after one save (one leaf category marked) against recomputing
  every category, which is what each refresh did before categories kept their own figures;
- one stale sweep of 500 edited products (the newest, spread over the leaves) against the
  same sweep with the marked categories' own figures rebuilt from the catalog (the refresh
  before own figures were kept by difference), and against the same recompute followed by
  every category's (the sweep's work before it refreshed the marked categories only);
- the monitoring snapshot's database part with every product stale (after a seed or a
  large import) against the same snapshot counting every mark;
- one bulk chunk at the size the window gives this catalog (``stats.bulk.window``) against
  the chunk's time limit, and its cost per product against a chunk of the smallest size.
"""

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings
from django.db.models import Count, F
from django.utils import timezone

from catalog.demo import catalog_seed
from catalog.models import Category, Product, Variant
from stats.bulk.window import bulk_chunk_size_for, bulk_run_hours
from stats.models import CategoryStaleness, ProductStaleness
from stats.monitoring import services as monitoring
from stats.recompute import selectors as stale_selectors
from stats.recompute.categories import (
    category_stats_recompute,
    category_stats_recompute_all,
    category_stats_refresh_stale,
)
from stats.recompute.marks import category_stats_mark_stale, product_stats_mark_stale
from stats.recompute.products import product_stats_recompute, product_stats_recompute_all
from stats.recompute.sweep import product_stats_sweep_stale

SWEEP_PRODUCTS = 500
MARK_CHUNK = 5000


def timed(work: Callable[[], object], *, before: Callable[[], object] = lambda: None) -> float:
    """Seconds ``work`` takes, after ``before`` (not timed)."""
    before()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def row(what: str, measured: str, baseline: str, ratio: str, goal: str) -> None:
    print(f"{what:44} {measured:>12} {baseline:>14} {ratio:>8}  {goal}", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def catalog_ready(products: int) -> None:
    if Product.objects.count() < products:
        print(f"seeding {products:,} products...", flush=True)
        started = time.perf_counter()
        catalog_seed(products=products)
        print(f"  seeded in {time.perf_counter() - started:,.0f} s", flush=True)
    if ProductStaleness.objects.exists():
        print("computing every product's statistics in-process...", flush=True)
        started = time.perf_counter()
        product_stats_recompute_all()
        print(f"  computed in {time.perf_counter() - started:,.0f} s", flush=True)
    category_stats_recompute_all()
    CategoryStaleness.objects.all().delete()


def category_refresh(repeat: int) -> None:
    leaf = (
        Category.objects.filter(children__isnull=True)
        .annotate(n=Count("products"))
        .order_by("-n")
        .first()
    )
    assert leaf is not None, "the catalog has no category"
    mark = lambda: category_stats_mark_stale(category_ids=[leaf.pk])  # noqa: E731
    refresh = [timed(category_stats_refresh_stale, before=mark) for _ in range(repeat)]
    every = [timed(category_stats_recompute_all) for _ in range(max(1, repeat // 2))]
    row(
        f"category refresh, one leaf ({leaf.n:,} products)",
        ms(p95(refresh)),
        ms(statistics.median(every)),
        f"{statistics.median(every) / p95(refresh):.0f}x",
        "bounded by the changed category",
    )


def sweep(repeat: int) -> None:
    ids = list(Product.objects.order_by("-id").values_list("id", flat=True)[:SWEEP_PRODUCTS])
    leaves = Product.objects.filter(id__in=ids).values("category_id").distinct().count()
    long_ago = timezone.now() - timedelta(hours=1)

    def stale() -> None:
        # Edits the sweep catches up with: one variant's stock each, a new version, a mark.
        Variant.objects.filter(product_id__in=ids).update(stock=F("stock") + 1)
        Product.objects.filter(id__in=ids).update(version=F("version") + 1)
        product_stats_mark_stale(product_ids=ids, count_save=False)
        ProductStaleness.objects.filter(product_id__in=ids).update(stale_since=long_ago)

    def old_sweep() -> None:
        product_stats_recompute(product_ids=ids, force=True)
        category_stats_recompute_all()

    def rebuilding_sweep() -> None:
        # The refresh before own figures were kept by difference: the marked categories'
        # own figures computed from the catalog, every other category's read from its row.
        product_stats_recompute(product_ids=ids, defer_categories=True)
        marked = set(CategoryStaleness.objects.values_list("category_id", flat=True))
        category_stats_recompute(category_ids=marked)
        CategoryStaleness.objects.filter(category_id__in=marked).delete()

    def one_sweep() -> None:
        product_stats_sweep_stale(chunk_size=SWEEP_PRODUCTS, max_chunks=1)

    ours = [timed(one_sweep, before=stale) for _ in range(repeat)]
    rebuilt = [timed(rebuilding_sweep, before=stale) for _ in range(repeat)]
    before = [timed(old_sweep, before=stale) for _ in range(max(1, repeat // 2))]
    ProductStaleness.objects.filter(product_id__in=ids).delete()
    what = f"stale sweep of {SWEEP_PRODUCTS} products ({leaves} categories)"
    for baseline, shape in ((rebuilt, "marked own figures rebuilt"), (before, "every category")):
        row(
            what,
            ms(p95(ours)),
            ms(statistics.median(baseline)),
            f"{statistics.median(baseline) / p95(ours):.1f}x",
            f"bounded by its chunks (baseline: {shape})",
        )
        what = ""


def snapshot(repeat: int) -> None:
    ids = list(Product.objects.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), MARK_CHUNK):
        product_stats_mark_stale(product_ids=ids[start : start + MARK_CHUNK], count_save=False)

    def take() -> None:
        monitoring.monitoring_snapshot(queues={}, broker_source="bench", batch_buffers=None)

    shipped = stale_selectors.stale_products_count
    ours = [timed(take) for _ in range(repeat)]
    stale_selectors.stale_products_count = lambda **_: ProductStaleness.objects.count()
    try:
        counted = [timed(take) for _ in range(repeat)]
    finally:
        stale_selectors.stale_products_count = shipped
    ProductStaleness.objects.all().delete()
    row(
        f"snapshot, {len(ids):,} products stale",
        ms(p95(ours)),
        ms(p95(counted)),
        f"{p95(counted) / p95(ours):.1f}x",
        "< 100 ms",
    )


def bulk_chunk() -> None:
    products = Product.objects.count()
    size = bulk_chunk_size_for(products)
    smallest = settings.STATS_BULK_CHUNK_SIZE
    ids = list(Product.objects.order_by("id").values_list("id", flat=True)[:size])

    def chunk(part: list[int]) -> float:
        # As a bulk chunk does (stats.bulk.services): forced, categories left to the refresh.
        return timed(
            lambda: product_stats_recompute(product_ids=part, force=True, defer_categories=True)
        )

    large = chunk(ids)
    small = chunk(ids[:smallest])
    limit = settings.STATS_BULK_TIME_LIMIT
    hours = bulk_run_hours(products, size, rate_limit=settings.STATS_BULK_RATE_LIMIT)
    row(
        f"bulk chunk of {size:,} (run: {hours:.1f} h)",
        f"{large:,.1f} s",
        f"limit {limit} s",
        f"{limit / large:.0f}x",
        f"within the limit; window {settings.STATS_BULK_WINDOW_HOURS} h",
    )
    per_large, per_small = large / len(ids), small / min(smallest, len(ids))
    row(
        "  per product, window size vs smallest",
        f"{per_large * 1e6:,.0f} us",
        f"{per_small * 1e6:,.0f} us",
        f"{per_small / per_large:.2f}x",
        "no worse per product",
    )


PATHS = ("refresh", "sweep", "snapshot", "chunk")


def run(repeat: int, paths: tuple[str, ...] = PATHS) -> None:
    """Every background path, each beside its baseline (``bench/scale.py`` calls this)."""
    logging.getLogger("stats.recompute.sweep").setLevel(logging.WARNING)  # one line per sweep
    print(f"{Product.objects.count():,} products; p95 of {repeat} (baselines: median)")
    row("path", "measured", "baseline", "ratio", "goal")
    measures = {
        "refresh": category_refresh,
        "sweep": sweep,
        "snapshot": snapshot,
        "chunk": lambda _repeat: bulk_chunk(),
    }
    for path in paths:
        measures[path](repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=PATHS)
    args = parser.parse_args()
    catalog_ready(args.products)
    run(args.repeat, tuple(args.paths))


if __name__ == "__main__":
    main()
