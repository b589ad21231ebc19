from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EditorsConfig(AppConfig):
    name = "editors"
    verbose_name = "Editors"

    def ready(self) -> None:
        from editors import receivers

        post_migrate.connect(
            receivers.ensure_admin_theme, sender=self, dispatch_uid="editors_ensure_admin_theme"
        )
