"""An empty catalog for a benchmark run: every product, variant, history record, job and
statistic deleted (TRUNCATE, MariaDB), the category tree kept for the seed and the files
that refer to it."""

from django.apps import apps
from django.db import connection

from catalog.models import Category, CategoryTreeLock

#: Kept: the demo tree the seed and the benchmark files refer to.
KEPT = {Category, CategoryTreeLock}


def catalog_empty() -> None:
    """Delete every catalog and stats row but the category tree's."""
    tables = [
        model._meta.db_table
        for app in ("catalog", "stats")
        for model in apps.get_app_config(app).get_models()
        if model not in KEPT and not model._meta.proxy
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
        for table in tables:
            cursor.execute(f"TRUNCATE TABLE {connection.ops.quote_name(table)}")
        cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
