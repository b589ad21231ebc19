"""A category run covers several categories (the union of their subtrees).

The single ``category`` becomes ``categories``; each existing run keeps its category.
Editors' words for the scope and where a run was started from (labels only).
"""

from django.db import migrations, models


def copy_category(apps, schema_editor):
    BulkRun = apps.get_model("stats", "BulkRun")
    Through = BulkRun.categories.through
    rows = BulkRun.objects.filter(category__isnull=False).values_list("id", "category_id")
    Through.objects.bulk_create(
        [Through(bulkrun_id=run_id, category_id=category_id) for run_id, category_id in rows],
        batch_size=1000,
    )


def copy_first_category_back(apps, schema_editor):
    BulkRun = apps.get_model("stats", "BulkRun")
    Through = BulkRun.categories.through
    for row in Through.objects.order_by("bulkrun_id", "category_id"):
        BulkRun.objects.filter(pk=row.bulkrun_id, category__isnull=True).update(
            category_id=row.category_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0011_catalog_import_unsent"),
        ("stats", "0008_batch_worker_leases"),
    ]

    operations = [
        migrations.AddField(
            model_name="bulkrun",
            name="categories",
            field=models.ManyToManyField(blank=True, related_name="+", to="catalog.category"),
        ),
        migrations.RunPython(copy_category, copy_first_category_back),
        migrations.RemoveField(model_name="bulkrun", name="category"),
        migrations.AlterField(
            model_name="bulkrun",
            name="scope",
            field=models.CharField(
                choices=[
                    ("all", "Whole catalog"),
                    ("category", "Categories and their subcategories"),
                    ("products", "Selected products"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="bulkrun",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("editor", "The admin"),
                    ("ops", "The command line"),
                    ("schedule", "The nightly schedule"),
                ],
                max_length=16,
                verbose_name="started from",
            ),
        ),
    ]
