"""An import's preview: Confirm and Cancel in the bar at the bottom, beside Close; a file
with mistakes shows them under each product, never a variant to remove for a bad row.

The second test takes the editors' guide's screenshot of the preview
(``docs/editor-import-preview.png``, only with ``UPDATE_DOCS_SCREENSHOTS=1``).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from catalog.imports.jobs import catalog_import_upload
from catalog.models import CatalogImport, Product
from config.celery import app
from editors.services import admin_theme_ensure
from testkit.on_commit import forget_all
from tests.browser.test_concurrency import _docs_screenshot
from tests.browser.test_product_admin import _log_in
from tests.catalog.imports.conftest import row, write_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_imports(settings, tmp_path):
    """The import worker's steps run in the process that asks (here, the live server's)."""
    settings.VAR_DIR = tmp_path
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = False


def _open_checked(page: Page, editor, path, status: str) -> CatalogImport:
    """Upload ``path`` as ``editor`` (checked at once, here) and open its page at 1,366 px."""
    job = catalog_import_upload(
        upload=SimpleUploadedFile(path.name, path.read_bytes()), user=editor
    )
    job.refresh_from_db()
    assert job.status == status
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, editor.username)
    page.goto(f"/admin/catalog/catalogimport/{job.pk}/change/")
    return job


def test_confirm_in_the_bottom_bar_imports_the_previewed_file(
    page: Page, editor, tmp_path, eager_imports
):
    path = write_csv(tmp_path / "spring.csv", [row()])
    job = _open_checked(page, editor, path, CatalogImport.Status.PREVIEWED)

    bar = page.locator(".submit-row")
    expect(bar.get_by_role("button", name="Cancel", exact=True)).to_be_visible()
    bar.get_by_role("button", name="Confirm import").click()

    expect(page.locator(".messagelist")).to_be_visible()
    job.refresh_from_db()
    assert job.status == CatalogImport.Status.DONE
    assert Product.objects.filter(sku="NEW-1").exists()


def _tee(size: str, price: str, category: str = "clothing/shirts") -> dict[str, str]:
    return row(
        product_sku="TEE-1",
        name="Classic tee",
        slug="classic-tee",
        status="published",
        category=category,
        description="Soft cotton.",
        variant_sku=f"TEE-1-{size}",
        size=size,
        colour="navy",
        price=price,
        stock="10",
    )


def test_a_preview_lists_errors_under_each_product_and_no_variant_to_remove_for_a_bad_row(
    page: Page,
    editor_factory,
    product_factory,
    variant_factory,
    category_factory,
    tmp_path,
    eager_imports,
    settings,
):
    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)
    shirts = category_factory(
        name="Shirts", slug="shirts", parent=category_factory(slug="clothing")
    )
    tee = product_factory(
        sku="TEE-1", name="Classic tee", slug="classic-tee", category=shirts, status="published"
    )
    for size in ("S", "M", "L"):
        variant_factory(sku=f"TEE-1-{size}", product=tee, size=size, colour="navy")
    polo = product_factory(sku="POLO-1", name="Polo", slug="polo", category=shirts)
    variant_factory(sku="POLO-1-M", product=polo, size="M", colour="white", price="24.00")
    forget_all()
    polo_row = {
        "product_sku": "POLO-1",
        "name": "Polo",
        "slug": "polo",
        "status": "draft",
        "category": "clothing/shirts",
        "description": "A product worth describing.",
        "variant_sku": "POLO-1-M",
        "colour": "white",
        "price": "26.00",
    }
    rows = [
        _tee("S", "19.99"),
        _tee("M", "-4"),  # refused: TEE-1-M must not read as a variant the file removes
        _tee("L", "19.99"),
        row(**polo_row),
        *(
            row(
                product_sku=f"CAP-{n}",
                name=f"Cap {n}",
                slug=f"cap-{n}",
                variant_sku=f"CAP-{n}-M",
                category="clothing/caps",
            )
            for n in range(1, 4)
        ),
    ]
    path = write_csv(tmp_path / "spring.csv", rows)

    _open_checked(page, editor_factory(username="alice"), path, CatalogImport.Status.REFUSED)

    problems = page.locator(".import-problems")
    expect(problems.get_by_role("heading", name="TEE-1 · Classic tee")).to_be_visible()
    expect(problems).to_contain_text("Price '-4': A price cannot be negative: row 3.")
    expect(problems).to_contain_text('Category "clothing/caps" does not exist: rows 6, 7 and 8.')
    expect(problems).to_contain_text('for example "clothing/shirts"')
    assert problems.get_by_text("does not exist").count() == 1
    report = page.locator(".import-report")
    expect(report).to_contain_text("variant POLO-1-M price")  # the others' changes still show
    expect(report).not_to_contain_text("removed")
    expect(page.locator(".field-progress")).to_contain_text("Refused")
    _docs_screenshot(page, "editor-import-preview")
