"""The admin's own pages in the editors' order and words (``config.admin_site``,
``templates/admin/change_list.html``, the revert page's breadcrumbs)."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from config.admin_site import CatalogAdminSite

pytestmark = pytest.mark.django_db


def _app_names(html: str) -> list[str]:
    """The apps' names on the home page, top to bottom."""
    return re.findall(r'<caption>\s*<a href="[^"]*" class="section"[^>]*>(.*?)</a>', html, re.S)


def test_the_home_page_lists_the_catalog_first_and_the_tools_last(admin_client):
    names = _app_names(admin_client.get(reverse("admin:index")).content.decode())

    assert names == [
        "Catalog",
        "Statistics",
        "Editors",
        "Authentication and Authorization",
        "Axes",
        "Admin Interface",  # its model: Themes
    ]


def test_no_page_has_the_side_menu_that_cut_columns_off_at_1366_px(admin_client):
    # Home and the breadcrumbs lead everywhere it did (tests/browser/test_layout_1366.py).
    for name in (
        "admin:catalog_variant_changelist",
        "admin:index",
        "admin:stats_bulkrun_changelist",
    ):
        assert 'id="nav-sidebar"' not in admin_client.get(reverse(name)).content.decode()


def test_editors_see_the_catalog_first(editor_client):
    names = _app_names(editor_client.get(reverse("admin:index")).content.decode())
    assert names[0] == "Catalog"


def test_the_default_site_is_ours_with_every_app_still_registered():
    # Installed as AdminConfig.default_site: no app's admin was unregistered to get here.
    assert isinstance(admin.site, CatalogAdminSite)
    labels = {model._meta.app_label for model in admin.site._registry}
    assert {"catalog", "stats", "editors", "auth", "axes", "admin_interface"} <= labels


@pytest.mark.parametrize(
    ("url_name", "title"),
    [
        ("admin:catalog_product_changelist", "Products"),
        ("admin:catalog_variant_changelist", "Variants"),
        ("admin:catalog_category_changelist", "Categories"),
        ("admin:catalog_catalogimport_changelist", "Imports"),
        ("admin:stats_bulkrun_changelist", "Bulk recompute runs"),
    ],
)
def test_lists_are_titled_by_what_they_list(editor_client, url_name, title):
    html = editor_client.get(reverse(url_name)).content.decode()

    assert f"<h1>{title}</h1>" in html
    assert re.search(rf"<title>\s*{title} \|", html)
    assert "Select " not in html.split("<body")[0]
    assert not re.search(r"<h1>Select ", html)


def test_a_picker_popup_keeps_its_select_title(admin_client):
    html = admin_client.get(
        reverse("admin:catalog_category_changelist"), {"_popup": "1", "_to_field": "id"}
    ).content.decode()
    assert "<h1>Select category</h1>" in html


def test_the_revert_page_never_says_historical(editor_client, product_factory):
    product = product_factory()
    record = product.history.latest()
    response = editor_client.get(
        reverse("admin:catalog_product_simple_history", args=[product.pk, record.pk])
    )

    assert response.status_code == 200
    html = response.content.decode()
    breadcrumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S)
    assert breadcrumbs
    assert ">Products</a>" in breadcrumbs.group(1)
    text = re.sub(r"<[^>]+>", " ", html)  # what the page says, not its classes and ids
    assert "historical" not in text.lower()


def test_every_page_is_titled_with_our_name_not_djangos(admin_client):
    page = admin_client.get("/admin/stats/opsdashboard/").content.decode()
    assert "<title>Queues & workers | Catalog Editor</title>" in page
    assert "Django site admin" not in page
