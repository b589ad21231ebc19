from django.db import migrations

GROUP = "Content editors"
PERMISSIONS = [
    ("catalog", "add_product"),
    ("catalog", "change_product"),
    ("catalog", "view_product"),
    ("catalog", "add_variant"),
    ("catalog", "change_variant"),
    ("catalog", "delete_variant"),
    ("catalog", "view_variant"),
    ("catalog", "add_category"),
    ("catalog", "change_category"),
    ("catalog", "view_category"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create
    # them now so the group gets them on a fresh database too.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
