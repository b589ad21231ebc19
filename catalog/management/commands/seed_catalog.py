from typing import Any

from django.core.management.base import CommandError, CommandParser

from catalog.services import catalog_seed
from config.commands import ServiceCommand
from config.humanize import quantity


class Command(ServiceCommand):
    help = "Create a demo catalog (categories, products with 1-5 variants). Safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products", type=int, default=1000, help="How many demo products (default 1000)."
        )

    def handle(self, *args: Any, products: int, **options: Any) -> None:
        if products < 0:
            raise CommandError("--products must be zero or more.")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"\r  {done:,}/{total:,} products", ending="")
            self.stdout.flush()

        result = catalog_seed(products=products, on_progress=progress)
        if result.products_created:
            self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {quantity(result.products_created, 'product')}, "
                f"{quantity(result.variants_created, 'variant')}, "
                f"{quantity(result.categories_created, 'category', 'categories')} "
                f"(demo catalog now has {quantity(products, 'product')})."
            )
        )
