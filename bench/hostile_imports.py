"""Hostile imports benchmark: junk and a zip bomb are refused within seconds, in bounded memory.

Why (issue #22): a 2 MB CSV of 1,000,000 junk rows drove the import worker to 3.7 GB
and stored a 338 MB report; a 311 KB XLSX holding one 300 MB shared string took it to
1.23 GB. Both must now be refused **within seconds, under 200 MB, with one line**.

Each file is imported (``manage.py import_catalog FILE --dry-run``, the import's own
code: read, check, compare with the catalog) in **a process of its own**, which reports
its peak memory (``ru_maxrss``) and the import's time. Against, in the same run:

- **startup**: a process that only starts Django and connects (what every process costs);
- **valid, same size**: a valid file of the same byte size as each hostile one (a CSV
  of 2 MB, a workbook of about 311 KB), so "refused fast" is measured against "read";
- **valid, larger and larger**: valid CSVs and workbooks of 10,000 to 1,000,000 rows, for
  what a real file costs as it grows (the import holds the file's products, not its rows);
- **reading alone**: the largest valid files only read (no products kept), with the
  import's reader and with openpyxl's own loader, and the bombs through openpyxl's own
  loader: what the reading itself costs now, and cost before #22.

Needs a database of its own (migrated here; nothing is written to the catalog):

    mariadb -uroot -h127.0.0.1 -e \\
        'CREATE DATABASE IF NOT EXISTS catalog_bench_hostile CHARACTER SET utf8mb4'
    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_bench_hostile \\
        .venv/bin/python bench/hostile_imports.py [--sizes 10000,100000,300000,1000000]

(without ``DATABASE_URL``: SQLite in ``var/bench-hostile/``). Files are written to
``var/bench-hostile/``. Exit status 0 only if the junk file and the bomb are refused
with one line, each in under 10 s and 200 MB.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT_DIR = ROOT / "var" / "bench-hostile"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{OUT_DIR / 'catalog.sqlite3'}")
# The largest valid files are above the default upload limit.
os.environ.setdefault("CATALOG_IMPORT_MAX_BYTES", str(400 * 1024 * 1024))

#: The acceptance for the hostile files (issue #22).
MAX_SECONDS = 10.0
MAX_MB = 200.0


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started, in MB.

    ``VmHWM``, not ``getrusage().ru_maxrss``: Linux carries a process's ``ru_maxrss``
    over ``fork`` and ``exec``, so a child would report at least its parent's size (this
    script's, which builds the files). ``VmHWM`` belongs to the memory the child got at
    ``exec``.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: str | None, *, mode: str = "import") -> None:
    """In the measured process: import ``path`` (or nothing), print one JSON line.

    ``mode`` ``openpyxl``: only iterate the workbook's rows with openpyxl's own read-only
    loader, as the import did before #22 (its shared strings in a list, every part
    inflated as it comes), without Django; ``rows``: only iterate the file's rows with the
    import's reader (``read_rows``), to compare with that.
    """
    if mode == "openpyxl":
        from openpyxl import load_workbook

        start = time.perf_counter()
        rows = 0
        if path:
            book = load_workbook(path, read_only=True)
            rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
            book.close()
        seconds = time.perf_counter() - start
        peak_mb = peak_rss_mb()
        line = f"{rows:,} rows read"
        print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "line": line, "status": 0}))
        return
    import django

    django.setup()
    from django.core.management import CommandError, call_command
    from django.db import connection

    connection.ensure_connection()
    start = time.perf_counter()
    line, status = "", 0
    if path and mode == "rows":
        from catalog.imports.files import read_rows

        line = f"{sum(1 for _ in read_rows(Path(path))):,} rows read"
    elif path:
        try:
            with open(os.devnull, "w") as quiet:
                call_command("import_catalog", path, "--dry-run", stdout=quiet)
            line = "read whole"
        except CommandError as exc:
            line, status = str(exc), 1
    seconds = time.perf_counter() - start
    peak_mb = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "line": line, "status": status}))


def measure(path: Path | None, *, mode: str = "import") -> dict:
    command = [sys.executable, __file__, "--child", str(path) if path else "", "--mode", mode]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"measuring {path} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _valid_rows(count: int):
    """Rows of the layout, three variants a product, a demo-like description each."""
    from catalog.imports.layout import COLUMNS

    yield list(COLUMNS)
    rng = random.Random(22)
    for n in range(count):
        product = n // 3 + 1
        name = f"Classic shirt {product}"
        description = f"{name}: " + " ".join(["Durable and comfortable."] * (product % 12 + 1))
        yield [
            f"BENCH-{product:07d}", name, f"bench-{product:07d}", "published", "",
            description, "", f"BENCH-{product:07d}-{n % 3}", "M", "blue",
            f"{rng.randint(199, 49999) / 100:.2f}", "EUR", str(rng.randint(0, 100)),
        ]  # fmt: skip


def valid_csv(path: Path, rows: int) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(_valid_rows(rows))
    return path


def valid_xlsx(path: Path, rows: int) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for values in _valid_rows(rows):
        sheet.append(values)
    book.save(path)
    return path


def rows_for_bytes(write, suffix: str, target: int) -> Path:
    """A valid file of about ``target`` bytes (grown from a sample's bytes per row)."""
    sample = write(OUT_DIR / f"sample.{suffix}", 3000)
    per_row = sample.stat().st_size / 3000
    return write(OUT_DIR / f"valid-{target}.{suffix}", max(3, int(target / per_row)))


def main() -> None:
    parser = argparse.ArgumentParser(description="Hostile imports benchmark (see docstring).")
    parser.add_argument("--child", nargs="?", const="", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="import", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="10000,100000,300000,1000000", help="valid files' rows")
    args = parser.parse_args()
    if args.child is not None:
        child(args.child or None, mode=args.mode)
        return
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    from bench.stats import _machine
    from testkit.hostile_files import excel_style_workbook, junk_csv, xlsx_bomb

    call_command("migrate", verbosity=0)
    junk = junk_csv(OUT_DIR / "junk.csv", rows=1_000_000)
    bomb = xlsx_bomb(OUT_DIR / "bomb.xlsx", string_bytes=300 * 1024 * 1024)
    # Its sibling that the ratio check cannot see: 64 MB of random text compress to 48 MB.
    dense = xlsx_bomb(OUT_DIR / "dense.xlsx", string_bytes=64 * 1024 * 1024, random_text=True)
    cases = [
        ("startup (Django, connected, no import)", None),
        ("junk CSV, 1,000,000 rows", junk),
        ("valid CSV, same size", rows_for_bytes(valid_csv, "csv", junk.stat().st_size)),
        ("XLSX bomb, one 300 MB shared string", bomb),
        ("valid XLSX, same size", rows_for_bytes(valid_xlsx, "xlsx", bomb.stat().st_size)),
        ("XLSX, one 64 MB shared string of random text", dense),
    ]
    sizes = [int(size) for size in args.sizes.split(",")]
    for rows in sizes:
        cases.append((f"valid CSV, {rows:,} rows", valid_csv(OUT_DIR / f"v{rows}.csv", rows)))
        cases.append((f"valid XLSX, {rows:,} rows", valid_xlsx(OUT_DIR / f"v{rows}.xlsx", rows)))
    excel = excel_style_workbook(OUT_DIR / "excel-style.xlsx", _valid_rows(sizes[-1]))
    cases.append((f"Excel-style XLSX, {sizes[-1]:,} rows", excel))
    #: Reading alone, without the products: the import's reader, and (as before #22)
    #: openpyxl's own read-only loader on the same workbooks.
    alone = [
        ("rows", "  import's reader: startup", None),
        ("rows", f"  import's reader: Excel-style, {sizes[-1]:,} rows", excel),
        (
            "rows",
            f"  import's reader: valid CSV, {sizes[-1]:,} rows",
            OUT_DIR / f"v{sizes[-1]}.csv",
        ),
        ("openpyxl", "  openpyxl alone: startup", None),
        ("openpyxl", f"  openpyxl alone: Excel-style, {sizes[-1]:,} rows", excel),
        ("openpyxl", "  openpyxl alone: the bomb", bomb),
        ("openpyxl", "  openpyxl alone: 64 MB random string", dense),
    ]

    print(f"Hostile imports, {time.strftime('%Y-%m-%dT%H:%M:%S%z')}: {_machine()}")
    print(f"database: {django.db.connection.vendor}")
    print(f"{'case':<46} {'file':>10} {'seconds':>8} {'peak MB':>8}  line")
    results = {}
    for mode, label, path in [*(("import", *case) for case in cases), *alone]:
        result = measure(path, mode=mode)
        results[label] = result
        size = f"{path.stat().st_size / 1e6:.2f} MB" if path else "-"
        print(
            f"{label:<46} {size:>10} {result['seconds']:>8.2f} {result['peak_mb']:>8.0f}  "
            f"{result['line'][:150]}"
        )
    ok = True
    for hostile, valid in (
        ("junk CSV, 1,000,000 rows", "valid CSV, same size"),
        ("XLSX bomb, one 300 MB shared string", "valid XLSX, same size"),
    ):
        h, v = results[hostile], results[valid]
        passed = (
            h["status"] == 1
            and "\n" not in h["line"]
            and h["seconds"] < MAX_SECONDS
            and h["peak_mb"] < MAX_MB
        )
        ok &= passed
        print(
            f"{hostile}: refused in {h['seconds']:.2f} s ({h['seconds'] / v['seconds']:.2f}x the "
            f"valid file's {v['seconds']:.2f} s), peak {h['peak_mb']:.0f} MB "
            f"({h['peak_mb'] / v['peak_mb']:.2f}x its {v['peak_mb']:.0f} MB): "
            f"{'OK' if passed else 'MISSED'} (one line, < {MAX_SECONDS:.0f} s, < {MAX_MB:.0f} MB)"
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
