import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from catalog.imports.exports import (
    CategoryNotFound,
    catalog_export_csv_stream,
    catalog_export_file,
)
from config.commands import ServiceCommand

#: Exit status when the reader went away (``export_catalog | head``), as a shell reports
#: a process ended by SIGPIPE.
BROKEN_PIPE = 128 + 13


class Command(ServiceCommand):
    help = (
        "Export the catalog, one row per variant with its product's columns and version "
        "(the layout import_catalog reads; see docs/editors.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--category", metavar="SLUG", help="Only this category's subtree.")
        parser.add_argument(
            "--output", metavar="FILE", help="Write here (default: standard output, CSV only)."
        )

    def handle(
        self, *args: Any, format: str, category: str | None, output: str | None, **options: Any
    ) -> None:
        if output is None and format == "xlsx":
            raise CommandError("An XLSX export needs --output FILE.")
        try:
            if output is None:
                self._to_stdout(catalog_export_csv_stream(category_slug=category))
            else:
                self._to_file(Path(output), format, category)
        except CategoryNotFound as exc:
            raise CommandError(str(exc)) from None

    def _to_stdout(self, chunks: Any) -> None:
        try:
            for chunk in chunks:
                self.stdout.write(chunk.decode("utf-8").lstrip("\ufeff"), ending="")
            self.stdout.flush()
        except BrokenPipeError:
            # The reader has all it wanted. Python would complain once more when it
            # flushes stdout at exit: point stdout at /dev/null first, and say nothing.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(BROKEN_PIPE) from None

    def _to_file(self, path: Path, fmt: str, category: str | None) -> None:
        try:
            out = path.open("wb")
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.") from None
        try:
            with out:
                catalog_export_file(out=out, fmt=fmt, category_slug=category)
                size = out.tell()
        except BaseException as exc:
            path.unlink(missing_ok=True)  # no half-written file left behind
            if isinstance(exc, OSError):
                raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.") from None
            raise
        self.stderr.write(f"Exported to {path} ({size:,} bytes).")
