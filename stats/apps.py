from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        from catalog.models import Product, Variant
        from catalog.signals import products_bulk_changed
        from stats import receivers

        post_save.connect(
            receivers.product_saved, sender=Product, dispatch_uid="stats_product_saved"
        )
        post_delete.connect(
            receivers.product_deleted, sender=Product, dispatch_uid="stats_product_deleted"
        )
        post_save.connect(
            receivers.variant_saved, sender=Variant, dispatch_uid="stats_variant_saved"
        )
        post_delete.connect(
            receivers.variant_deleted, sender=Variant, dispatch_uid="stats_variant_deleted"
        )
        products_bulk_changed.connect(
            receivers.products_bulk_changed, dispatch_uid="stats_products_bulk_changed"
        )
