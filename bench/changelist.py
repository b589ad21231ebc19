"""Product change list time on a large catalog: as shipped vs two baselines.

Usage (seeds the catalog first if it is smaller than --products, and computes the
statistics of all but 5 % of the products, so some are "not computed yet"):
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench \
        .venv/bin/python bench/changelist.py --products 100000

Prints the median time of each change-list page and its query count with the admin as
shipped; then with Django's own ChangeList, which reads the page in one query instead
of ids first (``catalog/admin/changelist.py``); then with the variant count computed by
``annotate(Count("variants"))`` (the obvious version). Baselines are measured in the
same run.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import connection
from django.db.models import Count
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from catalog.admin import ProductAdmin
from catalog.demo import catalog_seed
from catalog.models import Category, Product
from editors.services import demo_admin_ensure
from stats.models import CategoryStaleness, ProductStats
from stats.recompute.categories import category_stats_recompute_all
from stats.recompute.products import product_stats_recompute

#: "{clothing}": the top-level category's id; "{stock}", "{completeness}": the columns'.
PAGES = [
    "",
    "?p=100",
    "?status__exact=published",
    "?q=Lamp",
    "?category__id__exact={clothing}",
    "?stock=low",
    "?stock=none",
    "?completeness_below=50",
    "?completeness_below=100",
    "?o={completeness}",
    "?o=-{completeness}",
    "?o={stock}",
    "?o={completeness}&category__id__exact={clothing}",
    "?_facets=True",
]


def page_median_ms(client: Client, path: str, repeat: int) -> tuple[float, int]:
    client.get(path)
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), len(queries)


def _statistics_ensure() -> None:
    """Statistics for all but the newest 5 % of the products (those stay "not computed")."""
    ids = list(Product.objects.order_by("id").values_list("id", flat=True))
    done = set(ProductStats.objects.values_list("product_id", flat=True))
    todo = [i for i in ids[: len(ids) * 95 // 100] if i not in done]
    # Categories once at the end: each chunk of 2,000 touches every leaf category, and
    # refreshing them per chunk read the whole catalog 475 times at 1,000,000 products.
    for start in range(0, len(todo), 2000):
        product_stats_recompute(product_ids=todo[start : start + 2000], defer_categories=True)
    if todo:
        category_stats_recompute_all()
        CategoryStaleness.objects.all().delete()


def _columns(user) -> dict[str, int]:
    """Each list column's number in the ``o=`` parameter."""
    request = RequestFactory().get("/")
    request.user = user
    names = [
        getattr(c, "__name__", c) for c in admin.site._registry[Product].get_list_display(request)
    ]
    return {
        "stock": 1 + names.index("stats_stock_status"),
        "completeness": 1 + names.index("stats_completeness"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    if Product.objects.count() < args.products:
        print(f"seeding {args.products:,} products...", flush=True)
        catalog_seed(products=args.products)
    _statistics_ensure()
    demo_admin_ensure(username="bench-admin")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="bench-admin")
    client = Client()
    client.force_login(user)
    shipped = ProductAdmin.get_queryset, ProductAdmin.get_changelist
    clothing = Category.objects.get(name="Clothing", parent=None).pk

    def group_by_baseline(self, request):
        return Product.objects.select_related("category").annotate(_variant_count=Count("variants"))

    def one_query(self, request, **kwargs):
        return ChangeList

    print(
        f"{Product.objects.count():,} products, {ProductStats.objects.count():,} with statistics; "
        f"median of {args.repeat} requests (baselines {max(1, args.repeat // 2)})"
    )
    print(f"{'page':58} {'shipped ms':>10} {'queries':>7} {'one query ms':>12} {'GROUP BY ms':>11}")
    for page in PAGES:
        path = "/admin/catalog/product/" + page.format(clothing=clothing, **_columns(user))
        ProductAdmin.get_queryset, ProductAdmin.get_changelist = shipped
        ours, queries = page_median_ms(client, path, args.repeat)
        ProductAdmin.get_changelist = one_query
        single, _ = page_median_ms(client, path, max(1, args.repeat // 2))
        ProductAdmin.get_queryset, ProductAdmin.get_changelist = group_by_baseline, shipped[1]
        baseline, _ = page_median_ms(client, path, max(1, args.repeat // 2))
        ProductAdmin.get_queryset, ProductAdmin.get_changelist = shipped
        print(f"{path:58} {ours:10.0f} {queries:7} {single:12.0f} {baseline:11.0f}", flush=True)


if __name__ == "__main__":
    main()
