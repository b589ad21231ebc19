"""Headless Chromium from Debian's package, driven by Playwright (no browser download)."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import IN_CI

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(django_db_setup) -> Iterator[Browser]:
    """One Chromium per module, started after the test database exists.

    Playwright's sync API keeps an asyncio loop in this thread while it is open,
    which trips Django's async-safety guard although every ORM call here is plain
    synchronous code; the guard is relaxed only for as long as the browser lives.
    """
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not executable:
        message = "Debian's chromium is not installed (scripts/system-deps.sh browser)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def editors_group(editors_group_restored: Group) -> Group:
    """The editors group before each browser test (see ``editors_group_restored``):
    browser tests are ``transaction=True``, for the live server's thread. Also,
    ``serialized_rollback`` cannot help here: inside Playwright's running event loop
    Django's connection handler hands out another connection object, one without the
    serialized data, so the restore is silently skipped."""
    return editors_group_restored


def _browser_page(browser: Browser, live_server) -> Iterator[Page]:
    """A page in a browser context of its own: its own cookies, so its own session."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    yield from _browser_page(browser, live_server)


@pytest.fixture
def second_page(browser: Browser, live_server) -> Iterator[Page]:
    """A second editor's browser, beside ``page``."""
    yield from _browser_page(browser, live_server)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def working_pages(editor, settings) -> list[str]:
    """Every page an editor or operator works on, with something on each: a themed
    admin, 30 products with figures, a bulk run; ``editor`` may see the ops page."""
    from django.contrib.auth.models import Permission

    from catalog.demo import catalog_seed
    from catalog.models import Product
    from editors.services import admin_theme_ensure
    from stats.bulk.services import bulk_run_start
    from stats.models import BulkRun
    from stats.recompute.products import product_stats_recompute

    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    catalog_seed(products=30)
    product_stats_recompute(product_ids=list(Product.objects.values_list("id", flat=True)))
    product = Product.objects.order_by("id").first()
    assert product is not None
    run = bulk_run_start(trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.ALL, chunk_size=5)
    editor.user_permissions.add(Permission.objects.get(codename="view_ops"))
    bulk_edit = _bulk_edit_done(editor, [product.sku])
    return [
        "/admin/",
        "/admin/catalog/product/",
        f"/admin/catalog/product/{product.pk}/change/",
        f"/admin/catalog/product/{product.pk}/history/",
        "/admin/catalog/category/",
        "/admin/catalog/product/import/",
        "/admin/catalog/catalogimport/",
        "/admin/stats/bulkrun/",
        f"/admin/stats/bulkrun/{run.pk}/change/",
        "/admin/stats/productstats/",
        "/admin/stats/categorystats/",
        "/admin/stats/opsdashboard/",
        "/admin/catalog/product/bulk-edit/all/?status__exact=draft",  # leads to the form
        "/admin/catalog/bulkedit/",
        f"/admin/catalog/bulkedit/{bulk_edit}/change/",
        f"/admin/catalog/bulkedit/{bulk_edit}/undo/",
        "/admin/catalog/product/views/",
        "/admin/catalog/product/views/save/?status__exact=draft",
        "/admin/catalog/product/columns/",
        "/admin/editors/job/",  # the job centre: the bulk edit, the run
    ]


def _bulk_edit_done(editor: Any, skus: list[str]) -> int:
    """A bulk edit of ``editor``'s, applied: price +10% of these products."""
    from catalog.bulkedit.jobs import bulk_edit_create, bulk_edit_run
    from catalog.bulkedit.operations import PRICE_PERCENT, Operation
    from catalog.bulkedit.preview import bulk_edit_preview, products_select

    preview = bulk_edit_preview(
        selection=products_select(skus=skus), operations=[Operation(PRICE_PERCENT, "10")]
    )
    job = bulk_edit_create(preview=preview, user=editor)
    bulk_edit_run(job_id=job.pk)
    return job.pk
