"""The index the stock status filter counts from, and reads a rare status through (#27)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0011_completeness_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="productstats",
            index=models.Index(fields=["stock_status", "-product"], name="stats_status_product"),
        ),
    ]
