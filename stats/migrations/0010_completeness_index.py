"""The index the product list sorted by completeness reads its pages from (issue #27)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0009_bulk_run_categories"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="productstats",
            index=models.Index(
                fields=["completeness", "-product"], name="stats_completeness_product"
            ),
        ),
    ]
