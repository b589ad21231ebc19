from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from catalog.imports.services import ImportReport, catalog_import
from config.commands import ServiceCommand

#: Row errors and conflicts printed before "... and N more".
SHOWN = 50


class Command(ServiceCommand):
    help = (
        "Import a CSV or XLSX file of products (the export_catalog layout): all or nothing. "
        "Exits 1 with nothing saved on a bad file, a row error or a conflict."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; save nothing."
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="Whom the history records name (default: none)."
        )

    def handle(
        self, *args: Any, file: str, dry_run: bool, user: str | None, **options: Any
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        account = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"No user named {user!r}.")

        def progress(stage: str, done: int, total: int) -> None:
            if self.stdout.isatty():
                percent = 100 * done // max(total, 1)
                bar = "#" * (percent // 5)
                self.stdout.write(f"\r  {stage:<9} [{bar:<20}] {percent:3d}%", ending="")
                self.stdout.flush()

        report = catalog_import(path=path, user=account, dry_run=dry_run, on_progress=progress)
        if self.stdout.isatty():
            self.stdout.write("")
        self._print(report)

    def _print(self, report: ImportReport) -> None:
        if report.file_error or report.stopped_at:
            # A file refused whole, or so wrong that reading stopped: the one line says it.
            raise CommandError(report.summary())
        problems = [str(e) for e in report.errors] + [str(c) for c in report.conflicts]
        for line in problems[:SHOWN]:
            self.stderr.write(line)
        unlisted = report.error_count + report.conflict_count - min(len(problems), SHOWN)
        if unlisted > 0:
            self.stderr.write(f"... and {unlisted:,} more.")
        if report.category_hint:
            self.stderr.write(report.category_hint)
        if problems:
            raise CommandError(report.summary())
        if report.dry_run:
            for change in report.changes[:SHOWN]:
                fields = "; ".join(f"{c.field}: {c.old!r} -> {c.new!r}" for c in change.changes)
                self.stdout.write(f"  line {change.line}, {change.sku}: {fields}")
        self.stdout.write(self.style.SUCCESS(report.summary()))
