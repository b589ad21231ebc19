"""Catalog > Categories as a tree on a large tree: as shipped vs Django's flat list.

Usage (adds a "Bench" branch of --categories categories, three levels deep, if the tree
is smaller, and seeds --products products if the catalog has fewer):
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench \
        .venv/bin/python bench/category_tree.py --categories 5000 --products 20000

Prints, for each page, the median time and query count of the tree as shipped
(``catalog/admin/category_tree.py``: the whole tree in memory, one page of rows by id,
one GROUP BY of the products), then of the list it replaced, measured in the same run:
Django's own change list and paginator, sorted by name, the parent in the same query
(``list_select_related``), no counts. Also the parent picker's autocomplete (20 paths).
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.admin import ModelAdmin
from django.contrib.admin.views.main import ChangeList
from django.test import Client

from bench.changelist import page_median_ms
from catalog.admin import CategoryAdmin
from catalog.demo import catalog_seed
from catalog.models import Category, Product
from editors.services import demo_admin_ensure

LIST = "/admin/catalog/category/"
PAGES = [
    LIST,
    LIST + "?p=10",
    LIST + "?q=Bench 12",
    "/admin/autocomplete/?term=&app_label=catalog&model_name=category&field_name=parent",
    "/admin/autocomplete/?term=Bench 12&app_label=catalog&model_name=category&field_name=parent",
]


def _tree_ensure(total: int) -> None:
    """A "Bench" branch: tops of 10 children of 9 grandchildren each, up to ``total``."""
    missing = total - Category.objects.count()
    top_number = Category.objects.filter(name__startswith="Bench ", parent=None).count()
    while missing > 0:
        top_number += 1
        top = Category.objects.create(name=f"Bench {top_number}", slug=f"bench-{top_number}")
        for child_number in range(10):
            name = f"Bench {top_number}.{child_number}"
            child = Category.objects.create(
                name=name, slug=f"bench-{top_number}-{child_number}", parent=top
            )
            Category.objects.bulk_create(
                Category(name=f"{name}.{n}", slug=f"{child.slug}-{n}", parent=child)
                for n in range(9)
            )
        missing -= 100


class FlatChangeList(ChangeList):
    """The list as it was: Django's own, sorted by name."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--categories", type=int, default=5000)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    if Product.objects.count() < args.products:
        print(f"seeding {args.products:,} products...", flush=True)
        catalog_seed(products=args.products)
    _tree_ensure(args.categories)
    demo_admin_ensure(username="bench-admin")
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    shipped = {
        name: CategoryAdmin.__dict__[name]
        for name in ("get_changelist", "get_paginator", "list_display", "list_display_links")
    }
    flat = {
        "get_changelist": lambda self, request, **kwargs: FlatChangeList,
        "get_paginator": ModelAdmin.get_paginator,
        "list_display": ["name", "slug", "parent"],
        "list_display_links": ["name"],
    }

    def use(attributes: dict) -> None:
        for name, value in attributes.items():
            setattr(CategoryAdmin, name, value)

    CategoryAdmin.list_select_related = ["parent"]
    CategoryAdmin.ordering = ["name"]
    print(
        f"{Category.objects.count():,} categories, {Product.objects.count():,} products; "
        f"median of {args.repeat} requests each"
    )
    print(f"{'page':88} {'tree ms':>7} {'queries':>7} {'flat ms':>7} {'queries':>7}")
    for path in PAGES:
        use(shipped)
        tree_ms, tree_queries = page_median_ms(client, path, args.repeat)
        use(flat)
        flat_ms, flat_queries = page_median_ms(client, path, args.repeat)
        use(shipped)
        print(
            f"{path:88} {tree_ms:7.0f} {tree_queries:7} {flat_ms:7.0f} {flat_queries:7}", flush=True
        )


if __name__ == "__main__":
    main()
