"""An editor saves, then presses "Recompute now" and sees the figures change on the page.

A real batch worker (both of its queues, as the Procfile starts it) behind the live
server. The screenshot of the save message goes into the editors' guide, rewritten only
on request (``UPDATE_DOCS_SCREENSHOTS=1``).
"""

import signal

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_NOW
from stats.recompute.products import product_stats_recompute
from testkit.workers import WorkerProcess, purge_queue
from tests.browser.test_concurrency import _docs_screenshot
from tests.browser.test_product_admin import _log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

#: What the editors' guide promises (the page polls every half second meanwhile).
FIGURES_WITHIN_MS = 5_000


@pytest.fixture
def batch_worker(broker_url):
    if connection.vendor != "mysql":
        pytest.skip("worker processes need MariaDB (make test), not SQLite")
    for queue in (QUEUE_STATS_BATCH, QUEUE_STATS_NOW):
        purge_queue(queue)
    worker = WorkerProcess(queues=[QUEUE_STATS_BATCH, QUEUE_STATS_NOW]).start()
    yield worker
    worker.kill(signal.SIGKILL)
    for queue in (QUEUE_STATS_BATCH, QUEUE_STATS_NOW):
        purge_queue(queue)


def test_an_editor_saves_then_gets_the_new_figures_within_seconds(
    page: Page, batch_worker, editor, variant_factory
):
    variant = variant_factory(stock=10)
    product = variant.product
    product_stats_recompute(product_ids=[product.pk])
    _log_in(page, editor.username)
    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    total = page.locator(".field-stats_total_stock .readonly")
    expect(total).to_have_text("10 in 1 variant")

    page.fill("#id_variants-0-stock", "3")
    page.click("input[name=_continue]")

    message = page.locator("ul.messagelist li", has_text="Statistics update within")
    expect(message).to_contain_text("Statistics update within 5 minutes")
    expect(total).to_have_text("10 in 1 variant")  # the batch waits for its interval
    _docs_screenshot(page, "editor-fresh-figures")

    message.get_by_role("button", name="Recompute now").click()

    expect(page.locator("ul.messagelist")).to_contain_text("Recomputing the statistics")
    expect(total).to_have_text("3 in 1 variant", timeout=FIGURES_WITHIN_MS)
    expect(page.locator(".stats-freshness")).not_to_contain_text("recompute queued")
