"""The import benchmark's file: the demo catalog in the export's layout, and the time to
read and check it (``bench/import.py --check-only``).

Written row by row as the demo seed would make the products (names, descriptions,
categories, 1-5 variants each), so that a file of a million rows never sits in memory.
"""

import csv
import time
from datetime import datetime
from pathlib import Path

from django.core.management import call_command

from bench.stats import _machine
from catalog.demo import catalog_seed, demo_product, demo_variants
from catalog.imports.errors import ErrorLog
from catalog.imports.files import read_rows
from catalog.imports.layout import COLUMNS
from catalog.imports.limits import ImportLimits
from catalog.imports.rows import products_from_rows
from catalog.models import Category
from catalog.selectors import category_slug_paths

OUT_DIR = Path(__file__).resolve().parents[1] / "var" / "bench-import"


def write_file(path: Path, products: int, rows_wanted: int = 0) -> tuple[int, int]:
    """The demo catalog as an import file (the export's layout): (products, rows).

    ``rows_wanted``: that many data rows exactly (the last product keeps the variants
    that fit), however many products they take; else ``products`` products."""
    catalog_seed(products=0)  # the demo category tree only
    leaves = list(Category.objects.filter(parent__isnull=False))
    paths = category_slug_paths()
    rows = number = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        while (rows < rows_wanted) if rows_wanted else (number < products):
            number += 1
            product = demo_product(number, leaves)
            category = paths[product.category_id] if product.category_id else ""
            head = [
                product.sku,
                product.name,
                product.slug,
                product.status,
                category,
                product.description,
                "",
            ]
            variants = demo_variants(number, 0)
            if rows_wanted:
                variants = variants[: rows_wanted - rows]
            for variant in variants:
                writer.writerow(
                    [
                        *head,
                        variant.sku,
                        variant.size,
                        variant.colour,
                        variant.price,
                        variant.currency,
                        variant.stock,
                    ]
                )
                rows += 1
    return number, rows


def head(path: Path, target: Path, rows: int) -> Path:
    """The first ``rows`` rows of the file (after the header), cut at a product's end."""
    with path.open(encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        reader = csv.reader(source)
        writer = csv.writer(out)
        writer.writerow(next(reader))
        last_sku, written = None, 0
        for row in reader:
            if written >= rows and row[0] != last_sku:
                break
            writer.writerow(row)
            last_sku, written = row[0], written + 1
    return target


def bench_check(products: int, repeat: int = 5) -> int:
    """Time reading and checking every row of the file (``products_from_rows``), in-process.

    The part of an import where each cell meets the models' rules; the median of
    ``repeat`` runs, the catalog untouched (only the demo category tree is written).
    """
    call_command("migrate", verbosity=0)
    path = OUT_DIR / f"catalog-{products}.csv"
    _, rows = write_file(path, products)
    limits = ImportLimits.from_settings()
    category_ids = {p: pk for pk, p in category_slug_paths().items()}
    times = []
    for _ in range(repeat):
        errors = ErrorLog(keep_per_kind=20, stop_after=1000)
        started = time.monotonic()
        read = products_from_rows(
            read_rows(path, name=path.name, limits=limits),
            category_ids=category_ids,
            name=path.name,
            errors=errors,
        )
        times.append(time.monotonic() - started)
        if errors.total or len(read.products) != products:
            raise RuntimeError(f"the demo file has errors: {errors.sorted()[:3]}")
    median = sorted(times)[len(times) // 2]
    print(f"machine: {_machine()}; {datetime.now().astimezone():%Y-%m-%d %H:%M %z}")
    print(
        f"read and check {rows:,} rows ({products:,} products): median of {repeat} "
        f"{median:.3f} s, {rows / median:,.0f} rows/s"
    )
    return 0
