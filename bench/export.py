"""Export benchmark: time and peak memory of the catalog's exports, CSV and XLSX, as each
size's export really runs, against the in-memory build they replaced.

Why: an export must take about the same memory whatever the catalog's size (issue #27:
1,000,000 products). Below ``CATALOG_EXPORT_BACKGROUND_FROM`` products (20,000) the admin
streams the export in the web request (``catalog/imports/exports.py``); from there on
the import worker writes it to a file as a background job (``catalog_export_run``,
``catalog/imports/export_jobs.py``), with the same streaming writers: the CSV written as
it is read, the XLSX through openpyxl's write-only mode and temporary files. The XLSX
used to be built whole in memory by django-import-export (tablib over openpyxl's normal
workbook): 1.6 GB at 100,000 products.

Needs a database of its own (MariaDB, as in production; products are only added, by the
seed, never changed):

    mariadb -uroot -h127.0.0.1 -e \\
        'CREATE DATABASE IF NOT EXISTS catalog_bench_export CHARACTER SET utf8mb4'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench_export \\
        .venv/bin/python bench/export.py [--sizes 10000,100000] [--baseline-max 100000]

What it does, in one run, for each size (smallest first): tops the demo catalog up to
that many products (``seed_catalog`` adds only the missing ones, so a run at 100,000
then 999,999 seeds 900,000 more, never again from nothing), then exports the whole
catalog, each export in a fresh Python process of its own so that one's peak cannot
hide the other's:

- **baseline** (sizes up to ``--baseline-max``: at 1,000,000 it would need several GB
  and half an hour): the code before the write-only XLSX,
  ``dataset_bytes(CatalogRowResource().export(...), fmt="xlsx")`` (tablib builds the
  workbook in memory, then its bytes), written to a file;
- below ``CATALOG_EXPORT_BACKGROUND_FROM``, the immediate path: **csv**
  (``catalog_export_file``, the chunks the download streams) and **xlsx**
  (``catalog_export_xlsx`` to a file, as the download does);
- from there on, the background job: **csv-job** and **xlsx-job**, a ``CatalogExport``
  recorded as the admin does, then ``catalog_export_run`` (what the worker's task calls)
  in the child process itself, so the peak is that of the process that writes.

Peak memory is the process's peak resident set (``VmHWM``) less its resident set just
before the export (Django loaded, connected): what the export itself added. Also printed:
seconds, rows (variants) a second, the file's size and the load average before each
export. At the end, each method's peak at the largest size against its peak at the
smallest (flat: about 1x). Files go to ``var/bench-export/`` (the jobs' to
``VAR_DIR/exports/``) and are removed.
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
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "test")
OUT_DIR = ROOT / "var" / "bench-export"
BASELINE = "baseline"
IMMEDIATE = ("csv", "xlsx")
JOBS = ("csv-job", "xlsx-job")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _export(method: str, out: IO[bytes]) -> None:
    from catalog.imports.exports import catalog_export_file
    from catalog.imports.files import dataset_bytes
    from catalog.imports.resources import CatalogRowResource, export_queryset

    if method == BASELINE:
        dataset = CatalogRowResource().export(export_queryset(), force_native_type=True)
        out.write(dataset_bytes(dataset, fmt="xlsx"))
    else:
        catalog_export_file(out=out, fmt=method)


def _job(fmt: str) -> Path:
    """A background export, recorded as the admin records it, written by the worker's
    service function here; returns its file (its record is deleted)."""
    from catalog.imports.export_jobs import catalog_export_run, export_path
    from catalog.imports.resources import export_product_count
    from catalog.models import CatalogExport

    job = CatalogExport.objects.create(format=fmt, total=export_product_count())
    ran = catalog_export_run(export_id=job.pk)
    CatalogExport.objects.filter(pk=job.pk).delete()
    if ran is None or ran.status != CatalogExport.Status.DONE:
        raise RuntimeError(f"the export job ended {ran and ran.status}: {ran and ran.error}")
    return export_path(ran)


def child(method: str, path: Path) -> None:
    """One export in this fresh process; prints its figures as JSON."""
    import django

    django.setup()
    from django.conf import settings

    from catalog.models import Variant

    # As the worker runs: with DEBUG, Django logs each query's SQL (up to 9,000), which
    # grew a 1,000,000-product export by 8-9 MB (each chunk's 1,000 ids) and hid whether
    # the export's own memory is flat.
    settings.DEBUG = False
    rows = Variant.objects.count()  # connected, models loaded: the floor
    load = os.getloadavg()[0]
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    if method in JOBS:
        path = _job(method.removesuffix("-job"))
    else:
        with path.open("wb") as out:
            _export(method, out)
    seconds = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    size = path.stat().st_size
    path.unlink()
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "peak_mb": (peak - before) / 1024,
                "bytes": size,
                "load": load,
            }
        )
    )


def _measure(method: str, size: int) -> dict[str, float]:
    suffix = "xlsx" if "xlsx" in method or method == BASELINE else "csv"
    path = OUT_DIR / f"catalog-{size}-{method}.{suffix}"
    done = subprocess.run(
        [sys.executable, __file__, "--child", method, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{method} export failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _seed(size: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from catalog.models import Product

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", "--products", str(size), verbosity=0, stdout=io.StringIO())
    return Product.objects.count()


def _methods(products: int, baseline_max: int) -> list[str]:
    from django.conf import settings

    paths = JOBS if products >= settings.CATALOG_EXPORT_BACKGROUND_FROM else IMMEDIATE
    return ([BASELINE] if products <= baseline_max else []) + list(paths)


def _print(products: int, method: str, f: dict[str, float]) -> None:
    print(
        f"{products:>9,} {f['rows']:>9,} {method:>9} {f['peak_mb']:>8.1f} {f['seconds']:>8.1f} "
        f"{f['rows'] / f['seconds']:>7,.0f} {f['bytes'] / 1e6:>8.1f} {f['load']:>5.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Export time and memory (see the docstring).")
    parser.add_argument("--sizes", default="10000,100000", help="catalog sizes, in products")
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=100_000,
        help="largest catalog the in-memory baseline is measured at (default 100,000)",
    )
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    if not os.environ.get("DATABASE_URL"):
        sys.exit("bench/export.py needs DATABASE_URL (a database of its own: see the docstring)")
    from bench.stats import _machine

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"Export benchmark, {datetime.now(UTC):%Y-%m-%dT%H:%M:%S%z}; {_machine()}")
    print(f"{'products':>9} {'rows':>9} {'method':>9} {'peak MB':>8} {'seconds':>8} ", end="")
    print(f"{'rows/s':>7} {'file MB':>8} {'load':>5}", flush=True)
    peaks: dict[str, list[tuple[int, float]]] = {}
    for size in sorted(int(s) for s in args.sizes.split(",")):
        products = _seed(size)
        figures = {}
        for method in _methods(products, args.baseline_max):
            figures[method] = _measure(method, size)
            _print(products, method, figures[method])
            peaks.setdefault(method, []).append((products, figures[method]["peak_mb"]))
        if BASELINE in figures:
            base = figures.pop(BASELINE)
            for method, f in figures.items():
                print(
                    f"{'':>9} {'':>9} {method:>9} baseline/new: memory "
                    f"{base['peak_mb'] / max(f['peak_mb'], 0.1):.1f}x, time "
                    f"{base['seconds'] / f['seconds']:.2f}x"
                )
    print("\nflat? peak at the largest size / peak at the smallest, each method:")
    for method, runs in peaks.items():
        (small, low), (large, high) = runs[0], runs[-1]
        if large > small:
            print(
                f"  {method:>9}: {high:.1f} MB at {large:,} / {low:.1f} MB at {small:,} = "
                f"{high / max(low, 0.1):.2f}x for {large / small:.1f}x the products"
            )


if __name__ == "__main__":
    main()
