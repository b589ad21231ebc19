"""The admin app with this project's site (``config.admin_site``) as its default site."""

from django.contrib.admin.apps import AdminConfig


class CatalogAdminConfig(AdminConfig):
    """Listed in INSTALLED_APPS in place of ``django.contrib.admin``."""

    default_site = "config.admin_site.CatalogAdminSite"
