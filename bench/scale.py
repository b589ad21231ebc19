"""A large catalog's paths against their goals (issue #27).

Usage (seeds the catalog first if it is smaller than --products, timing the seed, and
computes the statistics of all but the newest 5 % of the products):
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_scale \
        .venv/bin/python bench/scale.py --products 200000

Every product list path of the issue (first page, page 10,000 or the last page there
is, each filter, a SKU prefix and a name word, sorted by completeness, a category
subtree) is requested through Django's test client --repeat times; it prints the p95
and the median beside the goal (p95 under 300 ms), and the same path with the list
as it was before #27, measured in the same run: Django's search (``icontains`` on SKU
and name), an exact ``COUNT(*)``, numbered pages only (``?p=`` with its OFFSET), and
completeness and stock sorted through the LEFT JOIN. The indexes #27 added stay in
place for the baseline (they do not change its plans, but the completeness filter's).

Then (``--parts``): a product's change form and its save (``bench/scale_form.py``,
p95 under 100 ms), and the background paths (``bench/scale_background.py``: the category
refresh after a save, a stale sweep, the monitoring snapshot with every product stale, a
bulk chunk at the size the window gives this catalog), each beside the shape it replaced.
The seed's time is printed against its goal (10 minutes for 1,000,000) when it seeds.
``--parts import,export`` runs the import of 1,000,000 rows and the export of 999,999
products, each in a database of its own (``bench/scale_jobs.py``; about an hour).
"""

import argparse
import contextlib
import math
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.admin import ModelAdmin
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client

from bench import scale_background, scale_jobs
from bench.changelist import _columns, _statistics_ensure
from bench.scale_form import form_paths
from catalog.admin import ProductAdmin
from catalog.admin.changelist import IdsFirstChangeList
from catalog.admin.keyset import NullsLast, key_encode
from catalog.demo import catalog_seed
from catalog.models import Category, Product
from editors.services import demo_admin_ensure
from stats.admin import catalog_pages
from stats.models import ProductStats

#: The issue's goal for every product list path: p95 in milliseconds.
GOAL_MS = 300
#: The issue's goal for seeding 1,000,000 products.
SEED_GOAL_SECONDS = 600
URL = "/admin/catalog/product/"


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def timed(client: Client, path: str, repeat: int) -> list[float]:
    client.get(path)  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


@contextlib.contextmanager
def list_before_27() -> Iterator[None]:
    """The product list as it was before issue #27, for the baseline."""
    columns = (
        (catalog_pages.stats_completeness, "stats__completeness"),
        (catalog_pages.stats_stock_status, "stats__total_stock"),
    )
    saved = {
        name: ProductAdmin.__dict__.get(name)
        for name in ("get_search_results", "get_paginator", "get_changelist")
    }
    saved_orderings = [column.admin_order_field for column, _ in columns]  # type: ignore[attr-defined]
    ProductAdmin.get_search_results = ModelAdmin.get_search_results  # type: ignore[method-assign]
    ProductAdmin.get_paginator = lambda self, request, qs, per_page, **kw: Paginator(qs, per_page)  # type: ignore[method-assign]
    ProductAdmin.get_changelist = lambda self, request, **kw: IdsFirstChangeList  # type: ignore[method-assign]
    for column, name in columns:
        column.admin_order_field = NullsLast(name)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                delattr(ProductAdmin, name)
            else:
                setattr(ProductAdmin, name, value)
        for (column, _), ordering in zip(columns, saved_orderings, strict=True):
            column.admin_order_field = ordering  # type: ignore[attr-defined]


def deep_key(page: int, per_page: int) -> str:
    """The key "Next" carries onto ``page`` in the default order (read outside the timing)."""
    row = Product.objects.order_by("-updated_at", "-id").values_list("updated_at", "id")[
        (page - 1) * per_page - 1
    ]
    return key_encode(0, row)


PARTS = ("list", "form", "background")
#: Not run unless asked for: each has its own benchmark and database (``bench/scale_jobs.py``).
JOB_PARTS = ("import", "export")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--baseline-repeat", type=int, default=5)
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=(
            f"Which paths, comma-separated (default: all of {', '.join(PARTS)}; also "
            f"{', '.join(JOB_PARTS)}: bench/scale_jobs.py)."
        ),
    )
    parser.add_argument(
        "--import-rows", type=int, default=1_000_000, help="rows of the import part's file"
    )
    parser.add_argument(
        "--export-sizes", default="100000,999999", help="catalog sizes of the export part"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if parts - set(PARTS) - set(JOB_PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(parts - set(PARTS) - set(JOB_PARTS)))}")
    failed = 0
    if "import" in parts:
        failed += scale_jobs.import_run(args.import_rows) != 0
    if "export" in parts:
        failed += scale_jobs.export_run(args.export_sizes) != 0
    if not parts & set(PARTS):
        sys.exit(1 if failed else 0)

    present = Product.objects.count()
    if present < args.products:
        print(f"seeding {args.products - present:,} products...", flush=True)
        start = time.perf_counter()
        catalog_seed(products=args.products)
        seconds = time.perf_counter() - start
        met = "met" if present or seconds < SEED_GOAL_SECONDS else "MISS"
        print(f"seed: {seconds:.1f} s ({met}: goal {SEED_GOAL_SECONDS // 60} minutes)", flush=True)
    start = time.perf_counter()
    _statistics_ensure()
    print(f"statistics ensured in {time.perf_counter() - start:.1f} s", flush=True)
    demo_admin_ensure(username="bench-admin")
    user = get_user_model().objects.get(username="bench-admin")
    client = Client()
    client.force_login(user)

    misses = 0
    if "list" in parts:
        misses += list_paths(client, user, args)
    if "form" in parts:
        print(f"\n{'path':38} {'p95 ms':>7} {'median':>7} {'goal':>5}")
        misses += form_paths(client, args.repeat)
    if "background" in parts:
        print()
        scale_background.run(args.repeat)
    print(f"\n{misses} miss(es) among the timed paths")
    if failed:
        sys.exit(f"{failed} of the import and export benchmarks failed (see above)")


def list_paths(client: Client, user: Any, args: argparse.Namespace) -> int:
    """Every product list path against the list before #27; return the misses."""
    products = Product.objects.count()
    per_page = ProductAdmin.list_per_page
    deep = min(10_000, products // per_page)
    clothing = Category.objects.get(name="Clothing", parent=None).pk
    completeness = _columns(user)["completeness"]
    stock = _columns(user)["stock"]
    paths = [
        ("first page", "", ""),
        (f"page {deep:,}", f"?_after={quote(deep_key(deep, per_page))}", f"?p={deep}"),
        ("status: published", "?status__exact=published", None),
        ("Clothing and its subcategories", f"?category__id__exact={clothing}", None),
        ("low stock", "?stock=low", None),
        ("stock not computed yet", "?stock=none", None),
        ("completeness below 50 %", "?completeness_below=50", None),
        ("completeness below 100 %", "?completeness_below=100", None),
        ("SKU prefix DEMO-1999", "?q=DEMO-1999", None),
        ("name word Speaker", "?q=Speaker", None),
        ("name words Vintage Speaker", "?q=Vintage+Speaker", None),
        ("name word, rare (a product number)", "?q=123457", None),
        ("sorted by completeness", f"?o={completeness}", None),
        ("sorted by completeness, descending", f"?o=-{completeness}", None),
        (
            "Clothing, sorted by completeness",
            f"?o={completeness}&category__id__exact={clothing}",
            None,
        ),
        ("sorted by stock status", f"?o={stock}", None),
        ("count exactly (on demand)", "?_count=exact", ""),
    ]
    print(
        f"\n{products:,} products, {ProductStats.objects.count():,} with statistics; "
        f"{connection.vendor}; p95 and median of {args.repeat} requests, "
        f"baseline (the list before #27) median of {args.baseline_repeat}; goal: p95 < {GOAL_MS} ms"
    )
    print(f"{'path':38} {'p95 ms':>7} {'median':>7} {'goal':>5} {'before #27':>10} {'ratio':>6}")
    misses = 0
    for name, query, before in paths:
        ours = timed(client, URL + query, args.repeat)
        with list_before_27():
            base = timed(client, URL + (query if before is None else before), args.baseline_repeat)
        p95, median, base_median = (
            percentile(ours, 0.95),
            statistics.median(ours),
            statistics.median(base),
        )
        met = p95 < GOAL_MS
        misses += not met
        print(
            f"{name:38} {p95:7.0f} {median:7.0f} {'met' if met else 'MISS':>5} "
            f"{base_median:10.0f} {base_median / median:5.1f}x",
            flush=True,
        )
    print(f"\n{len(paths) - misses} of {len(paths)} product list paths within the goal")
    return misses


if __name__ == "__main__":
    main()
