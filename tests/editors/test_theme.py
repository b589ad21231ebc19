import pytest
from admin_interface.models import Theme
from django.urls import reverse

from editors.services import THEME_NAME, admin_theme_ensure

pytestmark = pytest.mark.django_db


def test_migrate_leaves_our_theme_active_with_the_environment_name(settings):
    # post_migrate ran when the test database was created.
    theme = Theme.objects.get(active=True)
    assert theme.name == THEME_NAME
    assert theme.env_name == settings.ADMIN_ENVIRONMENT_NAME


def test_theme_ensure_is_idempotent_and_updates_the_environment():
    admin_theme_ensure(environment_name="production")
    admin_theme_ensure(environment_name="production")
    assert Theme.objects.filter(name=THEME_NAME).count() == 1
    assert Theme.objects.get(active=True).env_name == "production"


def test_admin_pages_show_the_environment(admin_client):
    admin_theme_ensure(environment_name="staging-eu")
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "staging-eu" in page
