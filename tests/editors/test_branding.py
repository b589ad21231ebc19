"""Our own logo and favicon, in the environment's colour, on every page."""

import pytest
from admin_interface.models import Theme
from django.urls import reverse

from editors.branding import OTHER_COLOUR, environment_colour
from editors.services import admin_theme_ensure

pytestmark = pytest.mark.django_db

RED, ORANGE, GREEN = "#C0392B", "#D68910", "#1E8449"


@pytest.mark.parametrize(
    ("name", "colour"),
    [
        ("production", RED),
        ("Production-EU", RED),
        ("staging", ORANGE),
        ("staging-eu", ORANGE),
        ("test", ORANGE),
        ("development", GREEN),
        ("demo", OTHER_COLOUR),
    ],
)
def test_each_environment_has_its_colour(name, colour):
    assert environment_colour(name) == colour


@pytest.mark.parametrize(("name", "colour"), [("production", RED), ("development", GREEN)])
def test_the_favicon_answers_in_the_environments_colour(client, settings, name, colour):
    settings.ADMIN_ENVIRONMENT_NAME = name

    response = client.get(reverse("favicon"))  # anonymous: the login page shows it too

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg ") and f'fill="{colour}"' in svg
    assert f"Catalog Editor ({name})" in svg


def test_the_logo_answers_in_the_environments_colour(client, settings):
    settings.ADMIN_ENVIRONMENT_NAME = "staging-eu"

    response = client.get(reverse("logo"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert f'fill="{ORANGE}"' in response.content.decode()


def test_favicon_ico_leads_to_the_favicon_rather_than_a_404(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("favicon"), 301)]


@pytest.mark.parametrize(
    "url_name", ["admin:login", "admin:index", "admin:catalog_product_changelist"]
)
def test_admin_pages_show_our_logo_and_favicon_not_djangos(admin_client, client, url_name):
    page_client = client if url_name == "admin:login" else admin_client
    page = page_client.get(reverse(url_name)).content.decode()

    assert f'<link rel="icon" type="image/svg+xml" href="{reverse("favicon")}">' in page
    assert f'<img class="logo" src="{reverse("logo")}"' in page
    assert "logo default" not in page  # django-admin-interface's fallback: Django's logo


def test_the_header_label_has_the_favicons_colour():
    admin_theme_ensure(environment_name="production")

    assert Theme.objects.get(active=True).env_color == RED == environment_colour("production")
