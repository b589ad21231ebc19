"""Product change list time on a large catalog: our query vs a GROUP BY baseline.

Usage (seeds the catalog first if it is smaller than --products):
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench \
        .venv/bin/python bench/changelist.py --products 100000

Prints the median time of each change-list page with the admin as shipped, then with
the variant count computed by ``annotate(Count("variants"))`` (the obvious version,
measured in the same run as the baseline), and the ratio.
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

from django.db.models import Count
from django.test import Client

from catalog.admin import ProductAdmin
from catalog.models import Product
from catalog.services import catalog_seed
from editors.services import demo_admin_ensure

PAGES = ["", "?p=100", "?status__exact=published", "?q=Lamp"]


def _median_ms(client: Client, path: str, repeat: int) -> float:
    client.get(path)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    if Product.objects.count() < args.products:
        print(f"seeding {args.products:,} products...", flush=True)
        catalog_seed(products=args.products)
    demo_admin_ensure(username="bench-admin")
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    shipped = ProductAdmin.get_queryset

    def group_by_baseline(self, request):
        return Product.objects.select_related("category").annotate(_variant_count=Count("variants"))

    print(f"{Product.objects.count():,} products; median of {args.repeat} requests")
    print(f"{'page':48} {'shipped ms':>11} {'GROUP BY ms':>12} {'speed-up':>9}")
    for page in PAGES:
        path = "/admin/catalog/product/" + page
        ProductAdmin.get_queryset = shipped
        ours = _median_ms(client, path, args.repeat)
        ProductAdmin.get_queryset = group_by_baseline
        baseline = _median_ms(client, path, max(1, args.repeat // 2))
        ProductAdmin.get_queryset = shipped
        print(f"{path:48} {ours:11.0f} {baseline:12.0f} {baseline / ours:8.1f}x")


if __name__ == "__main__":
    main()
