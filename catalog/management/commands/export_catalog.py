from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from catalog.imports.services import (
    CategoryNotFound,
    catalog_export,
    catalog_export_csv_stream,
)
from config.commands import ServiceCommand


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
            if format == "csv":
                chunks = catalog_export_csv_stream(category_slug=category)
            else:
                chunks = iter([catalog_export(fmt=format, category_slug=category)])
        except CategoryNotFound as exc:
            raise CommandError(str(exc)) from None
        if output is None:
            for chunk in chunks:
                self.stdout.write(chunk.decode("utf-8").lstrip("\ufeff"), ending="")
            return
        size = 0
        try:
            with Path(output).open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
        self.stderr.write(f"Exported to {output} ({size:,} bytes).")
