"""The job centre's page and its permission "Can see every editor's jobs".

No group gets the permission here: the editors' group sees each editor's own jobs (no
permission needed), and there is no operators' group; superusers have it, and whoever
runs the system gives it by hand (docs/operations.md, Accounts).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("editors", "0004_editors_bulk_edit_permission"),
    ]

    operations = [
        migrations.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
            options={
                "verbose_name": "job",
                "verbose_name_plural": "jobs",
                "permissions": [("view_all_jobs", "Can see every editor's jobs")],
                "managed": False,
                "default_permissions": (),
            },
        ),
    ]
