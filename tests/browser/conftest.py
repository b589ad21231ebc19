"""Headless Chromium from Debian's package, driven by Playwright (no browser download)."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from playwright.sync_api import Browser, Page, sync_playwright

from editors.services import EDITOR_PERMISSIONS, EDITORS_GROUP
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
def editors_group(transactional_db) -> Group:
    """The editors group, as its data migrations create it, before each browser test.

    Browser tests are ``transaction=True`` (the live server's thread must see committed
    rows), and each ends with a flush that empties every table; post_migrate then puts
    back permissions and the theme, but not the group, which is migration data. With two
    browser modules the second found no group. ``serialized_rollback`` cannot help here:
    inside Playwright's running event loop Django's connection handler hands out another
    connection object, one without the serialized data, so the restore is silently skipped.
    """
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    wanted = Q(pk__in=[])
    for app_label, codenames in EDITOR_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
