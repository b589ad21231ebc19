import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from editors.services import admin_theme_ensure
from tests.browser.conftest import SCREENSHOTS
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

    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    page.select_option("#id_variants-0-currency", "USD")
    page.click("input[name=_continue]")

    group = page.locator("#variants-group")
    expect(group.locator(".errornote, .errorlist")).to_contain_text("would mix EUR and USD")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    taken = SCREENSHOTS / "currency-error.png"
    group.screenshot(path=str(taken))
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(taken, DOCS_SCREENSHOT)
    assert set(product.variants.values_list("currency", flat=True)) == {"EUR"}

    page.select_option("#id_variants-1-currency", "USD")  # the form kept the first change
    page.click("input[name=_continue]")

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert set(product.variants.values_list("currency", flat=True)) == {"USD"}
