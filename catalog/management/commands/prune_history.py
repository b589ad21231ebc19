from datetime import timedelta
from typing import Any

from django.core.management.base import CommandParser

from catalog.services import history_prune
from config.commands import ServiceCommand, whole_number
from config.humanize import quantity

#: A hundred years: older records cannot exist, and a date that far back is out of range.
MAX_DAYS = 36_500


class Command(ServiceCommand):
    help = (
        "Delete product and variant history records older than --older-than DAYS. "
        "Each object's latest record is always kept. Nothing else ever deletes history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=whole_number(1, MAX_DAYS, unit=" days"),
            required=True,
            metavar="DAYS",
            help=f"Delete records older than this many days (1 to {MAX_DAYS:,}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, older_than: int, dry_run: bool, **options: Any) -> None:
        result = history_prune(older_than=timedelta(days=older_than), dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        per_history = ", ".join(f"{n:,} {name}" for name, n in result.deleted.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {quantity(result.total, 'history record')} older than "
                f"{quantity(older_than, 'day')} "
                f"({per_history}); each object's latest record kept."
            )
        )
