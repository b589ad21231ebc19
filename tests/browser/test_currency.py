import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from editors.services import admin_theme_ensure
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_accessibility import BLOCKING
from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Committed, shown in docs/editors.md; rewritten only with ``UPDATE_DOCS_SCREENSHOTS=1``.
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "editor-currency-error.png"


def test_an_editor_mixing_currencies_sees_the_error_then_moves_every_variant(
    page: Page, editor_factory, product_factory, variant_factory, settings
):
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    product = product_factory(sku="TRAIL-RUNNER", name="Trail Runner", slug="trail-runner")
    variant_factory(product=product, sku="TRAIL-RUNNER-42", price=Decimal("89.00"))
    variant_factory(product=product, sku="TRAIL-RUNNER-44", price=Decimal("92.00"))
    _log_in(page, editor_factory(username="alice").username)

    page.set_viewport_size({"width": 1366, "height": 900})  # the editors' laptops
    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    page.select_option("#id_variants-0-currency", "USD")
    page.click("input[name=_continue]")

    # At the top, in place of "Please correct the error below.": the problem, named,
    # with the focus on it, and a link to the row it concerns.
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Nothing was saved: fix this problem")
    expect(summary).to_contain_text("Variants: All variants of a product must have the same")
    expect(summary).to_be_focused()
    expect(page.get_by_text("Please correct the error")).to_have_count(0)
    group = page.locator("#variants-group")
    expect(group.locator(".errorlist.nonform")).to_contain_text("would mix EUR and USD")
    table, box = page.evaluate(
        "[document.querySelector('#variants-group table').scrollWidth,"
        " document.querySelector('#variants-group').clientWidth]"
    )
    assert table <= box, f"with its messages, the Variants table is {table} px in {box} px"
    _docs_screenshot_of(page, summary, group)

    row_link = summary.get_by_role("link", name="row 1 (TRAIL-RUNNER-42)")
    row_link.click()
    bad = page.locator("#id_variants-0-currency")
    expect(bad).to_be_focused()
    expect(bad).to_be_in_viewport()
    expect(bad).to_have_attribute("aria-invalid", "true")
    expect(bad).to_have_accessible_description("Error: The other variants use EUR.")
    # Marked by more than colour: "Error" before its message, a bar; the good row is not.
    assert _marker(page, "#variants-0") == ("6px", "Error: The other variants use EUR.")
    assert _marker(page, "#variants-1") == ("0px", "")
    expect(page.locator("#id_variants-1-currency")).not_to_have_attribute("aria-invalid", "true")
    assert _blocking_axe_violations(page) == []

    # The variants, which the editor came for, above the statistics.
    statistics = page.locator("fieldset.extension-block h2", has_text="Statistics")
    assert group.bounding_box()["y"] < statistics.bounding_box()["y"]
    assert set(product.variants.values_list("currency", flat=True)) == {"EUR"}

    page.select_option("#id_variants-1-currency", "USD")  # the form kept the first change
    page.click("input[name=_continue]")

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert set(product.variants.values_list("currency", flat=True)) == {"USD"}


def _docs_screenshot_of(page: Page, top: Locator, bottom: Locator) -> None:
    """The page from ``top`` to the end of ``bottom``: the summary down to the variants,
    without the save buttons that stay at the window's bottom (they would cross it)."""
    size = page.viewport_size
    first, last = top.bounding_box(), bottom.bounding_box()
    assert size and first and last
    scroll = page.evaluate("window.scrollY")
    clip = {
        "x": 0,
        "y": first["y"] + scroll - 8,
        "width": size["width"],
        "height": last["y"] + last["height"] - first["y"] + 16,
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    taken = SCREENSHOTS / "currency-error.png"
    page.screenshot(
        path=str(taken), clip=clip, full_page=True, style=".submit-row { display: none; }"
    )
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(taken, DOCS_SCREENSHOT)


def _marker(page: Page, row: str) -> tuple[str, str]:
    """What marks a variant row as wrong: the bar on its left, its message as shown."""
    return tuple(
        page.evaluate(
            """(row) => [
              getComputedStyle(document.querySelector(row + " td.original")).borderLeftWidth,
              document.querySelector(row).querySelector(".errorlist")
                ? getComputedStyle(document.querySelector(row + " .errorlist li"), "::before")
                    .content.replaceAll('"', "")
                  + document.querySelector(row + " .errorlist li").textContent
                : "",
            ]""",
            row,
        )
    )


def _blocking_axe_violations(page: Page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']})" for v in violations if v["impact"] in BLOCKING]
