"""Export benchmark: peak memory of the whole-catalog XLSX export, written now vs with tablib.

Why: the XLSX export used to be built whole in memory by django-import-export (tablib
over openpyxl's normal workbook): 730 MB in a web worker for the whole catalog. It is now
written by openpyxl's write-only mode through temporary files (``catalog/imports/exports.py``),
which should take about the same memory whatever the catalog's size.

Needs a database of its own (MariaDB, as in production; products are only added, by the
seed, never changed):

    mariadb -uroot -h127.0.0.1 -e \\
        'CREATE DATABASE IF NOT EXISTS catalog_bench_export CHARACTER SET utf8mb4'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench_export \\
        .venv/bin/python bench/export.py [--sizes 10000,100000]

What it does, in one run, for each size (smallest first): seeds the demo catalog up to
that many products (``seed_catalog``), then exports the whole catalog as XLSX twice, each
in a fresh Python process of its own so that one's peak cannot hide the other's:

- **baseline**: the code before this change, ``dataset_bytes(CatalogRowResource().export(...),
  fmt="xlsx")`` (tablib builds the workbook in memory, then its bytes), written to a file;
- **write-only**: ``catalog_export_xlsx`` writing to a file, as the admin's download does.

Peak memory is the process's peak resident set (``VmHWM``) less its resident set just
before the export (Django loaded, connected): what the export itself added. Also printed:
seconds and the file's size. Files go to ``var/bench-export/``.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "test")
OUT_DIR = ROOT / "var" / "bench-export"
METHODS = ("baseline", "write-only")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(method: str, path: Path) -> None:
    """One export in this fresh process; prints its figures as JSON."""
    import django

    django.setup()
    from catalog.imports.exports import catalog_export_xlsx
    from catalog.imports.files import dataset_bytes
    from catalog.imports.resources import CatalogRowResource, export_queryset
    from catalog.models import Variant

    rows = Variant.objects.count()  # connected, models loaded: the floor
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    with path.open("wb") as out:
        if method == "baseline":
            dataset = CatalogRowResource().export(export_queryset(), force_native_type=True)
            out.write(dataset_bytes(dataset, fmt="xlsx"))
        else:
            catalog_export_xlsx(out=out)
    seconds = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "peak_mb": (peak - before) / 1024,
                "bytes": path.stat().st_size,
            }
        )
    )


def _measure(method: str, size: int) -> dict[str, float]:
    path = OUT_DIR / f"catalog-{size}-{method}.xlsx"
    done = subprocess.run(
        [sys.executable, __file__, "--child", method, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{method} export failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    path.unlink()
    return figures


def _seed(size: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from catalog.models import Product

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", "--products", str(size), verbosity=0, stdout=io.StringIO())
    return Product.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser(description="XLSX export memory (see the docstring).")
    parser.add_argument("--sizes", default="10000,100000", help="catalog sizes, in products")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    if not os.environ.get("DATABASE_URL"):
        sys.exit("bench/export.py needs DATABASE_URL (a database of its own: see the docstring)")
    from bench.stats import _machine

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"XLSX export benchmark, {datetime.now(UTC):%Y-%m-%dT%H:%M:%S%z}; {_machine()}")
    print(f"{'products':>9} {'rows':>8} {'method':>10} {'peak MB':>8} {'seconds':>8} ", end="")
    print(f"{'file MB':>8}")
    for size in sorted(int(s) for s in args.sizes.split(",")):
        products = _seed(size)
        figures = {method: _measure(method, size) for method in METHODS}
        for method in METHODS:
            f = figures[method]
            print(
                f"{products:>9,} {f['rows']:>8,} {method:>10} {f['peak_mb']:>8.1f} "
                f"{f['seconds']:>8.1f} {f['bytes'] / 1e6:>8.1f}"
            )
        base, new = figures["baseline"], figures["write-only"]
        print(
            f"{'':>9} {'':>8} {'ratio':>10} {base['peak_mb'] / max(new['peak_mb'], 0.1):>7.1f}x "
            f"{new['seconds'] / base['seconds']:>7.2f}x  (memory: baseline/new; time: new/baseline)"
        )


if __name__ == "__main__":
    main()
