"""Migration 0009: each existing category run keeps its category when runs take several."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("stats", "0008_batch_worker_leases"), ("catalog", "0011_catalog_import_unsent")]
AFTER = [("stats", "0009_bulk_run_categories")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_run_of_one_category_keeps_it_both_ways():
    old = _migrate(BEFORE)
    category = old.get_model("catalog", "Category").objects.create(name="Shoes", slug="shoes")
    run = old.get_model("stats", "BulkRun").objects.create(
        trigger="ops", scope="category", category=category, chunk_size=10, rate_limit="30/h"
    )
    try:
        new = _migrate(AFTER)
        moved = new.get_model("stats", "BulkRun").objects.get(pk=run.pk)
        assert list(moved.categories.values_list("slug", flat=True)) == ["shoes"]

        back = _migrate(BEFORE)
        assert back.get_model("stats", "BulkRun").objects.get(pk=run.pk).category_id == category.pk
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
