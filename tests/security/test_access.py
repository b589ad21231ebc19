"""Every admin page and endpoint, walked as each role.

Registered models: a role reaches a page exactly when its model permissions allow it
(so a custom view without a permission check shows up here). On top of that, the rules
the product promises are spelled out: anonymous users reach only the login page and
/healthz; editors never reach user management, the theme, ops pages or statistics tables,
and cannot delete products or cancel bulk runs.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from config.admin import ReadOnlyAdmin
from stats.bulk.services import bulk_run_start
from stats.models import BulkRun, CategoryStats, ProductStats
from stats.recompute.products import product_stats_recompute

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(variant_factory, admin_user):
    """One object of every registered model, so change/delete/history pages exist."""
    from admin_interface.models import Theme
    from django.contrib.auth.models import Group

    variant = variant_factory()
    product_stats_recompute(product_ids=[variant.product_id])
    bulk_run_start(trigger="ops", scope=BulkRun.Scope.ALL)
    return {
        "product": variant.product,
        "variant": variant,
        "category": variant.product.category,
        "productstats": ProductStats.objects.first(),
        "categorystats": CategoryStats.objects.first(),
        "bulkrun": BulkRun.objects.first(),
        "user": admin_user,
        "group": Group.objects.first(),
        "theme": Theme.objects.first(),
    }


def _admin_pages(objects) -> list[tuple[str, str, str, str]]:
    """(url, app_label, model_name, action) for every registered model's standard pages."""
    pages = []
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        pages.append((reverse(f"{prefix}_changelist"), opts.app_label, opts.model_name, "view"))
        pages.append((reverse(f"{prefix}_add"), opts.app_label, opts.model_name, "add"))
        obj = objects.get(opts.model_name)
        if obj is None:
            continue
        for view, action in (("change", "view"), ("delete", "delete"), ("history", "view")):
            try:
                url = reverse(f"{prefix}_{view}", args=[obj.pk])
            except NoReverseMatch:
                continue
            pages.append((url, opts.app_label, opts.model_name, action))
        history = getattr(model, "history", None)
        if obj is not None and history is not None:
            # django-simple-history's page of one version (its diff and Revert button).
            version = history.filter(id=obj.pk).latest("history_date")
            url = reverse(f"{prefix}_simple_history", args=[obj.pk, version.history_id])
            pages.append((url, opts.app_label, opts.model_name, "view"))
    return pages


def test_the_walk_includes_the_history_version_pages(objects):
    urls = [url for url, *_ in _admin_pages(objects)]
    for name in ("product", "variant"):
        assert any(f"/catalog/{name}/{objects[name].pk}/history/" in url for url in urls), name


def _allowed(user, app_label: str, model_name: str, action: str) -> bool:
    model_admin = next(
        ma for m, ma in admin.site._registry.items() if m._meta.model_name == model_name
    )

    class _Request:
        pass

    request = _Request()
    request.user = user
    if action == "add":
        return model_admin.has_add_permission(request)
    if action == "delete":
        # Read-only pages have no delete page of their own, even for whoever may delete
        # their rows along with the owner (a product's statistics with the product).
        return model_admin.has_delete_permission(request) and not isinstance(
            model_admin, ReadOnlyAdmin
        )
    return model_admin.has_view_or_change_permission(request)


def test_anonymous_users_reach_only_login_and_healthz(client, objects):
    for url, *_ in _admin_pages(objects):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
    for url in (
        reverse("admin:catalog_product_recompute_stats", args=[objects["product"].pk]),
        reverse("admin:stats_bulkrun_cancel", args=[objects["bulkrun"].pk]),
    ):
        response = client.post(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
    assert client.get(reverse("admin:login")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    for name in ("metrics", "ops-status"):
        assert client.get(reverse(name)).status_code == 401, name
    assert set(client.get(reverse("readyz")).json()) == {"status"}


def _walk(client, user, objects) -> list[tuple[str, int, int]]:
    """(url, status, expected) for every page whose status differs from the expectation."""
    client.force_login(user)
    user = get_user_model().objects.get(pk=user.pk)  # fresh permission cache
    wrong = []
    for url, app_label, model_name, action in _admin_pages(objects):
        status = client.get(url).status_code
        expected = 200 if _allowed(user, app_label, model_name, action) else 403
        if status != expected:
            wrong.append((url, status, expected))
    return wrong


def test_editors_reach_exactly_what_their_permissions_allow(client, editor, objects):
    assert _walk(client, editor, objects) == []


def test_superusers_reach_every_page_their_admin_allows(client, admin_user, objects):
    # Read-only admins (statistics, runs, the ops page) refuse add and their own delete
    # page even here.
    assert _walk(client, admin_user, objects) == []


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:auth_user_changelist",
        "admin:auth_group_changelist",
        "admin:admin_interface_theme_changelist",
        "admin:stats_opsdashboard_changelist",
        "admin:stats_productstats_changelist",
        "admin:stats_categorystats_changelist",
    ],
)
def test_editors_never_reach_user_management_theme_or_ops(editor_client, url_name):
    assert editor_client.get(reverse(url_name)).status_code == 403


def test_editors_cannot_delete_products_or_cancel_runs(editor_client, objects):
    product, run = objects["product"], objects["bulkrun"]
    assert (
        editor_client.get(reverse("admin:catalog_product_delete", args=[product.pk])).status_code
        == 403
    )
    assert (
        editor_client.post(reverse("admin:stats_bulkrun_cancel", args=[run.pk])).status_code == 403
    )
    assert (
        editor_client.get(reverse("ops-status")).status_code == 403
    )  # logged in, lacking stats.view_ops
