"""Every working page fits a 1,366 x 768 screen: nothing needs a sideways scroll."""

import pytest
from playwright.sync_api import Page

from tests.browser.test_product_admin import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


#: What is out of sight sideways: the page itself, or a box that scrolls or clips its
#: content (the admin's result lists scroll inside their own box, cutting columns off).
CUT_OFF = """() => {
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth) found.push(`page ${page.scrollWidth} px`);
  for (const box of document.querySelectorAll("#content *")) {
    const overflow = getComputedStyle(box).overflowX;
    if (["auto", "scroll", "hidden"].includes(overflow) && box.scrollWidth > box.clientWidth + 1
        && box.clientWidth > 0 && !box.closest(".visually-hidden, .inline-deletelink")) {
      found.push(`${box.tagName.toLowerCase()}${box.id ? "#" + box.id : ""}` +
                 `${box.className ? "." + String(box.className).split(" ")[0] : ""}` +
                 ` shows ${box.clientWidth} of ${box.scrollWidth} px`);
    }
  }
  return found;
}"""


def _overflow(page: Page, path: str) -> str | None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    found = page.evaluate(CUT_OFF)
    return f"{path}: {'; '.join(found)}" if found else None


def test_the_working_pages_fit_1366_px_without_scrolling_sideways(
    page: Page, editor, working_pages
):
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, editor.username)

    too_wide = [found for path in working_pages if (found := _overflow(page, path))]

    assert not too_wide, "\n".join(too_wide)
