"""The editor's and operator's pages hold up under axe-core: no serious or critical
violation (axe-core 4.12 in Chromium, packaged with axe-playwright-python, never
downloaded at test time)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

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


def test_the_working_pages_have_no_serious_or_critical_axe_violation(
    page: Page, editor, working_pages
):
    found = _violations(page, "/admin/login/")
    _log_in(page, editor.username)
    for path in working_pages:
        found += _violations(page, path)

    assert not found, "\n".join(found)
