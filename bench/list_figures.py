"""The product list's Price and Total stock columns on a large catalog: their cost.

Usage (seeds the catalog first if it is smaller than --products):
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench \\
        .venv/bin/python bench/list_figures.py --products 100000

Prints, for a few pages, the median time and query count of the list with the standard
columns, then with Price and Total stock added (read for the page's rows only, in one
query: ``catalog/listviews/figures.py``), then the obvious version measured in the same
run: the two figures annotated on the list's queryset (``Min``/``Max``/``Sum`` through
the variants, a GROUP BY over every matching product before the page is cut).
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
from django.db import connection
from django.db.models import Max, Min, Sum
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from catalog.admin import ProductAdmin, list_columns
from catalog.demo import catalog_seed
from catalog.listviews.models import ProductListSettings
from catalog.models import Category, Product
from editors.services import demo_admin_ensure

PAGES = [
    "?view=all",
    "?view=all&p=100",
    "?view=all&category__id__exact={clothing}",
    "?view=all&q=Lamp",
]
FIGURES = ["price_range", "total_stock"]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if Product.objects.count() < args.products:
        print(f"seeding {args.products:,} products...", flush=True)
        catalog_seed(products=args.products)
    demo_admin_ensure(username="bench-admin")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="bench-admin")
    client = Client()
    client.force_login(user)
    settings, _ = ProductListSettings.objects.get_or_create(user=user)
    request = RequestFactory().get("/")
    request.user = user
    standard = list(admin.site._registry[Product].list_shape(request).standard)
    shipped_queryset, shipped_attach = ProductAdmin.get_queryset, list_columns.figures_attach
    clothing = Category.objects.get(name="Clothing", parent=None).pk

    def annotated(self, request):
        return shipped_queryset(self, request).annotate(
            _low=Min("variants__price"), _high=Max("variants__price"), _stock=Sum("variants__stock")
        )

    def columns(chosen: list[str]) -> None:
        settings.columns = chosen
        settings.save()

    print(f"{Product.objects.count():,} products; median of {args.repeat} requests")
    print(
        f"{'page':50} {'standard':>9} {'+figures':>9} {'queries':>9} {'annotated':>10} {'ratio':>6}"
    )
    for page in PAGES:
        path = "/admin/catalog/product/" + page.format(clothing=clothing)
        columns(standard)
        plain, plain_queries = page_median_ms(client, path, args.repeat)
        columns([*standard, *FIGURES])
        ours, queries = page_median_ms(client, path, args.repeat)
        ProductAdmin.get_queryset = annotated
        list_columns.figures_attach = lambda rows: list(rows)
        try:
            baseline, _ = page_median_ms(client, path, max(1, args.repeat // 2))
        finally:
            ProductAdmin.get_queryset, list_columns.figures_attach = (
                shipped_queryset,
                shipped_attach,
            )
        print(
            f"{path:50} {plain:7.0f}ms {ours:7.0f}ms {plain_queries:>4} -> {queries:<2} "
            f"{baseline:8.0f}ms {baseline / ours:5.1f}x",
            flush=True,
        )
    columns(standard)


if __name__ == "__main__":
    main()
