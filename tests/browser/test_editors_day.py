"""An editor's day on what ``make run`` starts: fresh figures on request, the list's questions.

The deployment is prepared by the Makefile's ``run`` commands (migrate, seed, history
baseline, figures, demo admin) and runs the Procfile's processes on the embedded default
(SQLite and the filesystem broker), as a newcomer's ``make run`` does; the browser only
talks to its web process. Screenshots go into the editors' guide with
``UPDATE_DOCS_SCREENSHOTS=1``.
"""

import contextlib
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from testkit.stack import Stack
from testkit.workers import wait_for
from tests.browser.conftest import screenshot
from tests.browser.test_concurrency import _docs_screenshot
from tests.browser.test_product_list import _choose, _column_texts

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VAR = Path(__file__).resolve().parents[2] / "var" / "test-editors-day"
#: What the issue asks: the figures change on the page within 5 s of the button.
FIGURES_WITHIN_MS = 5_000


@pytest.fixture
def make_run() -> Iterator[tuple[Stack, str]]:
    """The stack ``make run`` would start, ready; yields it and the demo admin's password."""
    shutil.rmtree(VAR, ignore_errors=True)
    stack = Stack(
        "make-run",
        var_dir=VAR,
        token=secrets.token_urlsafe(16),
        env={
            "DATABASE_URL": "",
            "CELERY_BROKER_URL": "",
            "RABBITMQ_MANAGEMENT_URL": "",
            "RABBITMQ_VHOST": "/",
            "SEED_PRODUCTS": "300",
            # Small chunks, so a category's bulk run has several (one starts at once, the
            # next after a token interval of the 30/h limit).
            "STATS_BULK_CHUNK_SIZE": "20",
        },
    )
    with contextlib.ExitStack() as cleanup:
        output = stack.prepare_as_make_run()
        password = re.search(r"password '([^']+)'", output)
        assert password, f"create_demo_admin printed no password:\n{output}"
        cleanup.callback(stack.stop)
        stack.start()
        wait_for(
            lambda: _ready(stack),
            timeout=90,
            interval=1,
            message=f"/readyz of make run's processes\n{stack.logs()}",
        )
        yield stack, password[1]


def _ready(stack: Stack) -> bool:
    try:
        return stack.get("/readyz", token=False)[0] == 200
    except OSError:  # the web process is not listening yet
        return False


@pytest.fixture
def editor_page(browser: Browser, make_run) -> Iterator[Page]:
    stack, password = make_run
    context = browser.new_context(
        base_url=f"http://127.0.0.1:{stack.port}", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("admin")
    yield page
    context.close()


def _column_after(page: Page, url: str, column: str) -> list[str]:
    """A column of the list the last click led to. The URL changes as soon as the new
    page starts to arrive: its rows are read once it has loaded, never the old page's."""
    expect(page).to_have_url(re.compile(url))
    page.wait_for_load_state("load")
    expect(page.locator(f"#result_list tbody td.field-{column}").first).to_be_visible()
    return _column_texts(page, column)


def _total_stock(page: Page) -> str:
    return page.locator(".field-stats_total_stock .readonly").inner_text().strip()


def test_an_editor_gets_fresh_figures_and_answers_from_the_list_on_make_run(editor_page):
    page = editor_page

    # Clothing lists its subcategories' products (none sits in Clothing itself).
    page.goto("/admin/catalog/product/")
    _choose(page, "category", "Clothing")
    categories = set(_column_after(page, r"category__id__exact=\d+", "category"))
    assert categories and "Clothing" not in categories
    assert categories <= {"T-shirts", "Shirts", "Trousers", "Jackets", "Knitwear"}

    # A product of Clothing: the demo catalog's figures are there from the start.
    page.locator("#result_list tbody tr th a").first.click()
    expect(page.locator(".field-stats_total_stock .readonly")).to_contain_text(" in ")
    count = int(page.locator("#id_variants-INITIAL_FORMS").input_value())
    assert count >= 1
    for index in range(count):  # two in stock in all: low stock
        page.fill(f"#id_variants-{index}-stock", "2" if index == 0 else "0")
    before = _total_stock(page)
    expected = f"2 in {count} variant{'s' if count != 1 else ''}"
    assert before != expected, "the seed already had this product at 2 in stock"
    page.click("input[name=_continue]")

    message = page.locator("ul.messagelist li", has_text="Statistics update within")
    expect(message).to_be_visible()
    assert _total_stock(page) == before  # the batch waits for its flush
    screenshot(page, "make-run-saved")
    message.get_by_role("button", name="Recompute now").click()
    expect(page.locator(".field-stats_total_stock .readonly")).to_have_text(
        expected, timeout=FIGURES_WITHIN_MS
    )
    name = page.locator("#id_name").input_value()
    page.reload()  # the page as an editor opens it, without the messages
    # Nothing cut off at 1,366 px: the Variants table ends inside its box.
    table, box = page.evaluate(
        "[document.querySelector('#variants-group table').scrollWidth,"
        " document.querySelector('#variants-group').clientWidth]"
    )
    assert table <= box, f"the Variants table is {table} px wide in a {box} px box"
    _docs_screenshot(page, "editor-product-page")

    # Sorted by completeness, lowest first; the low-stock filter finds the product.
    page.goto("/admin/catalog/product/")
    page.locator("#result_list th.column-stats_completeness a").first.click()
    shown = [int(t.rstrip("%")) for t in _column_after(page, r"o=\d+", "stats_completeness")]
    assert shown and shown == sorted(shown)
    _choose(page, "stock status", "Low stock")
    assert set(_column_after(page, r"stock=", "stats_stock_status")) == {"Low stock"}
    expect(page.locator("#result_list")).to_contain_text(name[:20])
    _docs_screenshot(page, "editor-make-run-low-stock")


def test_an_editor_starts_a_bulk_run_of_a_category_and_watches_it_on_make_run(editor_page):
    page = editor_page
    page.goto("/admin/catalog/category/")
    page.get_by_role("checkbox", name="Select Clothing", exact=True).check()
    page.select_option("select[name=action]", "start_bulk_run_for_categories")
    page.click("button[name=index]")
    expect(page.locator("ul.messagelist")).to_contain_text("Bulk run")

    page.goto("/admin/stats/bulkrun/")
    page.locator("#result_list tbody tr th a").first.click()
    # The first chunk runs at once; the page refreshes itself while the run is active.
    expect(page.locator("body")).to_contain_text(re.compile(r"[1-9]\d* done"), timeout=30_000)
    expect(page.locator("body")).to_contain_text("Running")
    _docs_screenshot(page, "editor-bulk-run")
