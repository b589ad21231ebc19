"""Categories' own figures kept by difference (#27): each product statistics row remembers
the status its category counted, and every own-figures row is rebuilt once.

The status of an existing row is taken from its product (the figures it holds were
computed from the product's current version in nearly every case); every own-figures row
is marked stale, so the next refresh rebuilds it by the rule the differences follow.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def statuses_and_rebuild(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    ProductStats = apps.get_model("stats", "ProductStats")
    CategoryDirectStats = apps.get_model("stats", "CategoryDirectStats")
    ProductStats.objects.update(
        status=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("status")[:1])
    )
    CategoryDirectStats.objects.update(stale=True)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0012_bulk_edit"),
        ("stats", "0012_stock_status_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="productstats",
            name="status",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.AddField(
            model_name="categorydirectstats",
            name="stale",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(statuses_and_rebuild, migrations.RunPython.noop),
    ]
