from collections.abc import Callable

from django.apps import AppConfig
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        from catalog.models import Category, Product
        from catalog.signals import product_changed, products_bulk_changed, products_changed
        from stats import receivers

        connections: list[tuple[Signal, Callable[..., None], type[Model] | None]] = [
            (product_changed, receivers.product_changed, None),
            (products_changed, receivers.products_changed, None),
            (pre_delete, receivers.product_deleting, Product),
            (post_delete, receivers.product_deleted, Product),
            (products_bulk_changed, receivers.products_bulk_changed, None),
            (pre_save, receivers.category_saving, Category),
            (post_save, receivers.category_saved, Category),
        ]
        for signal, receiver, sender in connections:
            signal.connect(receiver, sender=sender, dispatch_uid=f"stats.{receiver.__name__}")

        # The job centre lists the bulk recompute runs (config.jobs).
        from config.jobs import register_job_source
        from stats.job_source import bulk_run_jobs, bulk_runs_in_progress

        register_job_source("bulk recompute runs", bulk_run_jobs, in_progress=bulk_runs_in_progress)
