"""The editor's path, then every admin page, under the strict Content-Security-Policy
(``default-src 'self'``, no 'unsafe-inline'; config/settings/content_policy.py): every
page and action works, and the browser reports no violation, neither as a
``securitypolicyviolation`` event nor in the console. A violation is something the policy
blocked: a style or script gone missing.
"""

import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Dialog, Page, expect

from catalog.models import CatalogImport, Category, Product
from editors.services import admin_theme_ensure
from stats.models import BulkRun
from tests.browser.test_concurrency import POLL_WAIT_MS
from tests.browser.test_import_page import eager_imports
from tests.browser.test_product_admin import _log_in
from tests.catalog.imports.conftest import row, write_csv
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["eager_imports"]  # a fixture, used by name below

#: Run in every page before its own scripts: each violation the browser reports is kept.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(
    e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
    (e.sourceFile || e.documentURI) + ":" + e.lineNumber
  );
});
"""


class Violations:
    """What the policy blocked, page after page: the events a page recorded (read before
    it is left), and the browser's console messages, which also cover a page left by a
    click (a form posted) before its events were read."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def watch(self, page: Page) -> Page:
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.found.append(f"console: {message.text}")

    def collect(self, page: Page) -> None:
        """This page's events so far (call before leaving it: a new page starts empty)."""
        self.found += [f"{page.url}: {v}" for v in page.evaluate("window.__cspViolations")]
        page.evaluate("window.__cspViolations = []")

    def none_in(self, *pages: Page) -> None:
        """The check that ends each test: nothing blocked on any page it opened."""
        for page in pages:
            self.collect(page)
        assert not self.found, "\n".join(self.found)


@pytest.fixture
def violations() -> Violations:
    return Violations()


def _go(page: Page, violations: Violations, path: str) -> None:
    violations.collect(page)
    page.goto(path)


def test_the_policy_is_on_and_strict(page: Page, live_server):
    response = page.goto("/admin/login/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-hashes" not in policy


def test_list_edit_save_presence_merge_conflict_recompute_and_history_without_a_violation(
    page: Page,
    second_page: Page,
    editor_factory,
    product_factory,
    variant_factory,
    category_factory,
    violations: Violations,
    settings,
):
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    product = product_factory(
        sku="TRAIL-RUNNER",
        name="Trail Runner",
        description="Light trail shoe.",
        category=category_factory(name="Running", slug="running"),
    )
    variant_factory(product=product, sku="TRAIL-RUNNER-42", size="42", price="89.00")
    url = f"/admin/catalog/product/{product.pk}/change/"
    alice, bob = violations.watch(page), violations.watch(second_page)
    editor_factory(username="alice")
    editor_factory(username="bob")
    _log_in(alice, "alice")
    _log_in(bob, "bob")

    # The list, then the product: the theme's colours arrived (its stylesheet, not inline).
    _go(alice, violations, "/admin/catalog/product/")
    expect(alice.locator("#result_list")).to_contain_text("Trail Runner")
    header = alice.locator("#header")
    expect(header).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")
    alice.locator(f"#result_list a[href$='{url}']").first.click()
    expect(alice.locator("#id_name")).to_have_value("Trail Runner")
    _go(bob, violations, url)
    expect(bob.locator("#edit-presence-others")).to_contain_text("alice is also editing")

    # Alice saves; Bob, typing, is told and brings her change in (merge), then saves.
    bob.fill("#id_description", "Light trail shoe, waterproof.")
    alice.fill("#id_name", "Trail Runner Pro")
    alice.click("input[name=_continue]")
    expect(alice.locator(".messagelist")).to_contain_text("was changed successfully")
    notice = bob.locator("#edit-presence-saved")
    expect(notice).to_contain_text(re.compile(r"Saved by alice at"), timeout=POLL_WAIT_MS)
    notice.get_by_role("button", name="Bring their changes into my form").click()
    expect(bob.locator("#id_name")).to_have_value("Trail Runner Pro")
    bob.click("input[name=_continue]")
    expect(bob.locator(".messagelist")).to_contain_text("was changed successfully")

    # Both change the name: Bob's save shows the conflict form; he keeps his.
    alice.fill("#id_name", "Trail Runner Max")
    alice.click("input[name=_continue]")
    expect(alice.locator(".messagelist")).to_contain_text("was changed successfully")
    bob.fill("#id_name", "Trail Runner GTX")
    bob.click("input[name=_continue]")
    conflict = bob.locator("#edit-conflicts tr.edit-conflict")
    expect(conflict).to_have_count(1)
    conflict.get_by_label("keep mine").check()
    bob.click("input[name=_continue]")
    expect(bob.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Product.objects.get(pk=product.pk).name == "Trail Runner GTX"

    # Recompute statistics.
    bob.get_by_role("button", name="Recompute statistics").click()
    expect(bob.locator("ul.messagelist")).to_contain_text("Recomputing the statistics")

    # History, a version's page, and its restore.
    bob.click("a.historylink")
    rows = bob.locator("#change-history tbody tr")
    expect(rows.first).to_contain_text("bob")
    violations.collect(bob)
    bob.locator("#change-history tbody tr").last.locator("td a").first.click()
    expect(bob.locator("#restore-preview")).to_contain_text("the version of")
    bob.click("input[type=submit][value='Restore this version']")
    expect(bob.locator(".messagelist")).to_contain_text("Restored the version of")
    assert Product.objects.get(pk=product.pk).name == "Trail Runner"
    violations.none_in(alice, bob)


def test_an_import_uploaded_previewed_and_confirmed_without_a_violation(
    page: Page, editor, tmp_path, eager_imports, violations: Violations, settings
):
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    path = write_csv(tmp_path / "spring.csv", [row()])
    violations.watch(page)
    _log_in(page, editor.username)
    _go(page, violations, "/admin/catalog/product/import/")

    _upload(page, path)

    expect(page.locator(".field-progress")).to_contain_text("Ready to import")
    violations.collect(page)
    page.locator(".submit-row").get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_be_visible()
    assert CatalogImport.objects.get().status == CatalogImport.Status.DONE
    assert Product.objects.filter(sku="NEW-1").exists()

    # A file with a mistake: its report, the problems under their product.
    _go(page, violations, "/admin/catalog/product/import/")
    _upload(page, write_csv(tmp_path / "bad.csv", [row(product_sku="BAD-1", price="-4")]))
    expect(page.locator(".import-problems")).to_contain_text("A price cannot be negative")
    violations.none_in(page)


def _upload(page: Page, path: Path) -> None:
    page.set_input_files("#import_form input[type=file]", str(path))
    page.locator("#import_form input[type=submit]").click()


def test_the_working_pages_a_bulk_run_cancelled_and_the_ops_page_without_a_violation(
    page: Page, editor, working_pages, violations: Violations
):
    login = violations.watch(page)
    login.goto("/admin/login/")
    expect(login.locator("#login-form")).to_be_visible()
    _log_in(page, editor.username)
    for path in working_pages:
        _go(page, violations, path)
        expect(page.locator("#content")).to_be_visible()

    # Queues & workers: its figures are replaced in place (stats/ops.js), every 10 s.
    _go(page, violations, "/admin/stats/opsdashboard/")
    page.evaluate("document.querySelector('#ops-live p').dataset.old = 'yes'")
    with page.expect_response(lambda response: "partial=1" in response.url, timeout=15_000):
        pass
    expect(page.locator("#ops-live p[data-old]")).to_have_count(0)  # replaced
    expect(page.locator("#ops-live")).to_contain_text("Bulk run")

    # The category tree.
    _go(page, violations, "/admin/catalog/category/")
    expect(page.locator("#content h1")).to_have_text("Categories")

    # A bulk run's Cancel asks first (a data-confirm, no inline handler): No keeps it.
    run = BulkRun.objects.get()
    BulkRun.objects.filter(pk=run.pk).update(trigger=BulkRun.Trigger.EDITOR, started_by=editor)
    _go(page, violations, f"/admin/stats/bulkrun/{run.pk}/change/")
    answers: list[str] = []

    def answer(dialog: Dialog) -> None:
        answers.append(dialog.message)
        dialog.dismiss() if len(answers) == 1 else dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="Cancel run").click()
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator(".messagelist")).to_contain_text("cancelled")
    assert answers[0].startswith("Cancel this run?") and len(answers) == 2
    run.refresh_from_db()
    assert run.status == BulkRun.Status.CANCELLED
    violations.none_in(page)


def _every_admin_page() -> list[str]:
    """Each registered model's list and add page, and its first row's change, delete and
    history pages: third-party admins (users, groups, the theme, login attempts) too."""
    paths = ["/admin/password_change/"]
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        paths += [reverse(f"{info}_changelist"), reverse(f"{info}_add")]
        first = model._default_manager.order_by("pk").first() if model._meta.managed else None
        if first is not None:
            paths += [reverse(f"{info}_{view}", args=[first.pk]) for view in _ROW_VIEWS]
    return paths


_ROW_VIEWS = ("change", "delete", "history")


def test_every_admin_page_without_a_violation(page: Page, working_pages, violations: Violations):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    violations.watch(page)
    _log_in(page, superuser.username)

    for path in _every_admin_page():
        _go(page, violations, path)
        expect(page.locator("#content")).to_be_visible()

    # "Add another" category from a product: the theme's window (an iframe), saved, closed.
    _go(page, violations, "/admin/catalog/product/add/")
    page.click("#add_id_category")
    window = page.frame_locator("#related-modal-iframe")
    window.locator("#id_name").fill("Rain gear")
    window.locator("input[name=_save]").click()
    expect(page.locator("#related-modal-iframe")).to_have_count(0)
    added = Category.objects.get(name="Rain gear")
    expect(page.locator("#id_category")).to_have_value(str(added.pk))
    violations.none_in(page)  # the window's own pages: in the console
