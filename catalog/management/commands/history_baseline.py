from typing import Any

from django.core.management import call_command

from catalog.models import Product, Variant
from config.commands import ServiceCommand


class Command(ServiceCommand):
    help = (
        "A baseline history record per product and variant, once: so an editor's first save "
        "shows a diff. Silent when history already exists (make run calls it every start)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for model in (Product, Variant):
            if model.history.exists():
                continue
            call_command(
                "populate_history",
                model._meta.label,
                batchsize=2000,
                verbosity=0,
                stdout=self.stdout,
            )
            self.stdout.write(f"History baseline written for {model._meta.verbose_name_plural}.")
