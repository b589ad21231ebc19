from collections.abc import Callable

from django.apps import AppConfig
from django.db.models import Model
from django.db.models.signals import ModelSignal, post_delete, post_save, pre_save


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from catalog import receivers
        from catalog.models import Category, Product, Variant

        connections: list[tuple[ModelSignal, Callable[..., None], type[Model]]] = [
            (pre_save, receivers.product_saving, Product),
            (pre_save, receivers.category_saving, Category),
            (post_save, receivers.product_saved, Product),
            (post_save, receivers.variant_saved, Variant),
            (post_delete, receivers.variant_deleted, Variant),
        ]
        for signal, receiver, sender in connections:
            signal.connect(receiver, sender=sender, dispatch_uid=f"catalog.{receiver.__name__}")

        # The job centre lists the catalog's jobs (config.jobs).
        from catalog import job_sources as jobs
        from config.jobs import register_job_source

        register_job_source("imports", jobs.import_jobs, in_progress=jobs.imports_in_progress)
        register_job_source(
            "bulk edits", jobs.bulk_edit_jobs, in_progress=jobs.bulk_edits_in_progress
        )
        register_job_source("exports", jobs.export_jobs, in_progress=jobs.exports_in_progress)
