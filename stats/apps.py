from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        from catalog.models import Category, Product, Variant
        from catalog.signals import products_bulk_changed
        from stats import receivers

        connections = [
            (pre_save, receivers.product_saving, Product),
            (post_save, receivers.product_saved, Product),
            (post_delete, receivers.product_deleted, Product),
            (post_save, receivers.variant_saved, Variant),
            (post_delete, receivers.variant_deleted, Variant),
            (pre_save, receivers.category_saving, Category),
            (post_save, receivers.category_saved, Category),
            (products_bulk_changed, receivers.products_bulk_changed, None),
        ]
        for signal, receiver, sender in connections:
            signal.connect(receiver, sender=sender, dispatch_uid=f"stats.{receiver.__name__}")
