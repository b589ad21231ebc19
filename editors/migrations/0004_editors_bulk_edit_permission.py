from django.db import migrations

GROUP = "Content editors"
# Editors change many products at once (catalog.bulkedit), as they change one.
PERMISSIONS = [("catalog", "bulk_edit_product")]


def _permissions(apps):
    # Permissions are normally created after all migrations (post_migrate); create
    # them now so the group gets them on a fresh database too (as in 0001).
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in PERMISSIONS
    ]


def grant(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("editors", "0003_editor_activity"),
        ("catalog", "0012_bulk_edit"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
