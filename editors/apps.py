from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EditorsConfig(AppConfig):
    name = "editors"
    verbose_name = "Editors"

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from catalog.models import Product, Variant
        from editors import receivers

        post_migrate.connect(
            receivers.ensure_admin_theme, sender=self, dispatch_uid="editors_ensure_admin_theme"
        )
        # History does not grow without bound: bursts of saves are folded (history_fold).
        for model in (Product, Variant):
            post_create_historical_record.connect(
                receivers.historical_record_created,
                sender=model.history.model,
                dispatch_uid=f"editors_history_fold_{model._meta.model_name}",
            )
