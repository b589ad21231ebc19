from typing import Any

from django.core.management.base import CommandParser

from catalog.demo import SEED_MAX_PRODUCTS, catalog_seed
from config.commands import ServiceCommand, whole_number
from config.humanize import quantity


class Command(ServiceCommand):
    help = "Create a demo catalog (categories, products with 1-5 variants). Safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products",
            type=whole_number(0, SEED_MAX_PRODUCTS, unit=" products"),
            default=1000,
            help=f"How many demo products (default 1000, at most {SEED_MAX_PRODUCTS:,}).",
        )

    def handle(self, *args: Any, products: int, **options: Any) -> None:
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
