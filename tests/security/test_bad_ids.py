"""Ids that name nothing answer 4xx, never 500, and are refused before any row lock.

Issue #22 listed five requests that answered 500: non-numeric ids on the History page, a
change POST with a non-numeric id (even from a user with no permission: the version
check's row lock ran before the permission check), a non-numeric revert version, the
revert page of a deleted product, and Unicode digits in the figures endpoint (tested with
that endpoint, tests/stats/test_fresh_figures.py). Each has its test here, and a walk
over every admin URL that takes an id finds the same pattern anywhere else.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, reverse

from catalog.edit_targets import ProductTarget
from catalog.models import Product
from testkit.admin_forms import product_fields, product_form

pytestmark = pytest.mark.django_db

#: Not a number; a digit to str.isdigit() that int() refuses; beyond any database integer.
BAD_IDS = ["abc", "\u00b2", "99999999999999999999"]


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def nobody(user_factory) -> Client:
    """Staff with no permission at all."""
    return _client(user_factory(is_staff=True))


@pytest.fixture
def viewer(user_factory) -> Client:
    user = user_factory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return _client(user)


@pytest.fixture
def locks(monkeypatch) -> list[str]:
    """Every product row lock the version check takes (ids), recorded as it is taken."""
    taken: list[str] = []
    original = ProductTarget.lock

    def lock(self, *, object_id: str):
        taken.append(object_id)
        return original(self, object_id=object_id)

    monkeypatch.setattr(ProductTarget, "lock", lock)
    return taken


# ---- the five requests of the issue ---------------------------------------------------


@pytest.mark.parametrize("model", ["product", "variant"])
def test_the_history_page_of_a_non_numeric_id_is_a_404(editor_client, model):
    response = editor_client.get(f"/admin/catalog/{model}/abc/history/")

    assert response.status_code == 404


@pytest.mark.parametrize("model", ["product", "variant", "category"])
def test_a_change_post_with_a_non_numeric_id_is_a_404(editor_client, model):
    response = editor_client.post(f"/admin/catalog/{model}/abc/change/", {"name": "x"})

    assert response.status_code == 404


def test_a_change_post_from_a_user_without_permission_is_refused_before_any_lock(
    nobody, viewer, product_factory, locks
):
    product = product_factory()
    url = reverse("admin:catalog_product_change", args=[product.pk])
    data = product_form(product_fields(product, name="Mine now"))

    assert nobody.post("/admin/catalog/product/abc/change/", data).status_code == 404
    assert nobody.post(url, data).status_code == 403
    assert viewer.post(url, data).status_code == 403
    assert locks == []
    assert Product.objects.get(pk=product.pk).name == product.name


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_non_numeric_revert_version_is_a_404(editor_client, product_factory, method):
    product = product_factory()

    response = getattr(editor_client, method)(f"/admin/catalog/product/{product.pk}/history/abc/")

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_revert_page_of_a_deleted_product_is_a_404(editor_client, product_factory, method):
    product = product_factory()
    pk, version = product.pk, product.history.latest().history_id
    product.delete()
    url = reverse("admin:catalog_product_simple_history", args=[pk, version])

    response = getattr(editor_client, method)(
        url, *([product_fields(product)] * (method == "post"))
    )

    assert response.status_code == 404
    assert not Product.objects.filter(pk=pk).exists()  # a revert brought nothing back


def test_the_history_of_a_deleted_product_lists_its_versions_without_links(
    admin_client, product_factory
):
    product = product_factory(name="Gone soon")
    pk, version = product.pk, product.history.latest().history_id
    product.delete()

    page = admin_client.get(reverse("admin:catalog_product_history", args=[pk]))

    assert page.status_code == 200
    assert "Gone soon" in page.content.decode()
    assert reverse("admin:catalog_product_simple_history", args=[pk, version]) not in (
        page.content.decode()
    )


def test_a_revert_post_without_change_permission_takes_no_lock(viewer, product_factory, locks):
    product = product_factory()
    version = product.history.latest().history_id
    url = reverse("admin:catalog_product_simple_history", args=[product.pk, version])

    assert viewer.post(url, product_fields(product, name="Reverted?")).status_code == 403
    assert locks == []


# ---- every admin page that takes an id ------------------------------------------------


def _object_urls() -> list[str]:
    """Every admin URL with an id in its path, filled with each bad id (version ids too)."""
    urls = []
    for pattern in admin.site.get_urls():
        for model_pattern in getattr(pattern, "url_patterns", [pattern]):
            if not isinstance(model_pattern, URLPattern) or not model_pattern.name:
                continue
            # path("<path:object_id>/...") names its ids; simple-history's re_path numbers them.
            names = list(getattr(model_pattern.pattern, "converters", {}))
            groups = model_pattern.pattern.regex.groups
            for bad in BAD_IDS:
                try:
                    if names:
                        url = reverse(
                            f"admin:{model_pattern.name}", kwargs=dict.fromkeys(names, bad)
                        )
                    elif groups:
                        url = reverse(f"admin:{model_pattern.name}", args=[bad] * groups)
                    else:
                        continue
                except NoReverseMatch:  # an <int:...> converter: the router's own 404
                    continue
                urls.append(url)
    return urls


def test_the_walk_covers_the_pages_of_the_issue():
    urls = _object_urls()
    for path in ("/catalog/product/abc/history/", "/catalog/product/abc/change/"):
        assert any(url.endswith(path) for url in urls), path
    assert any("/catalog/product/abc/history/abc/" in url for url in urls)
    assert len(urls) > 30


@pytest.mark.parametrize("role", ["superuser", "editor", "nobody"])
def test_no_admin_page_answers_500_for_an_id_that_names_nothing(
    role, admin_user, editor, user_factory, product_factory
):
    product_factory()
    user = {"superuser": admin_user, "editor": editor, "nobody": user_factory(is_staff=True)}
    client = _client(user[role])
    failures = []

    for url in _object_urls():
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            if status >= 500:
                failures.append(f"{method.upper()} {url}: {status}")

    assert failures == []
