"""The indexes the product list sorted by completeness or stock reads its pages from (#27)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0010_category_direct_stats"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="productstats",
            index=models.Index(
                fields=["completeness", "-product"], name="stats_completeness_product"
            ),
        ),
        migrations.AddIndex(
            model_name="productstats",
            index=models.Index(fields=["total_stock", "-product"], name="stats_stock_product"),
        ),
    ]
