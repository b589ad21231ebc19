"""The editor's and operator's pages hold up under axe-core: no serious or critical
violation (axe-core 4.12 in Chromium, packaged with axe-playwright-python, never
downloaded at test time)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Permission
from playwright.sync_api import Page

from catalog.models import Product
from catalog.services import catalog_seed
from editors.services import admin_theme_ensure
from stats.bulk.services import bulk_run_start
from stats.models import BulkRun
from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: What an editor or operator must be able to use whatever their assistive technology.
BLOCKING = ("serious", "critical")


def _violations(page: Page, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    return [
        f"{path}: {v['id']} ({v['impact']}, {len(v['nodes'])} nodes: "
        f"{', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def test_the_working_pages_have_no_serious_or_critical_axe_violation(page: Page, editor, settings):
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    catalog_seed(products=20)
    product = Product.objects.order_by("id").first()
    assert product is not None
    bulk_run_start(trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.ALL, chunk_size=10)
    editor.user_permissions.add(Permission.objects.get(codename="view_ops"))

    found = _violations(page, "/admin/login/")
    _log_in(page, editor.username)
    for path in (
        "/admin/",
        "/admin/catalog/product/",
        f"/admin/catalog/product/{product.pk}/change/",
        f"/admin/catalog/product/{product.pk}/history/",
        "/admin/catalog/category/",
        "/admin/catalog/product/import/",
        "/admin/stats/bulkrun/",
        "/admin/stats/opsdashboard/",
    ):
        found += _violations(page, path)

    assert not found, "\n".join(found)
