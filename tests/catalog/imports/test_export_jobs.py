"""Large exports in the background: asked for in the admin above the threshold, written by
the import worker's step with its progress, stopped, downloaded by their requester only,
listed on Jobs, their files removed after a few days; below it, the download stays at once."""

import io
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from catalog.imports import export_jobs
from catalog.imports.export_jobs import (
    ExportStateError,
    catalog_export_cancel,
    catalog_export_request,
    catalog_export_run,
    catalog_exports,
    catalog_exports_sweep,
    export_path,
)
from catalog.imports.exports import catalog_export_csv_stream
from catalog.job_sources import export_jobs as export_rows
from catalog.models import CatalogExport
from config.jobs import JobQuery
from testkit.on_commit import forget_all, items_in
from tests.catalog.imports.test_ownership import _client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]

EXPORT_URL = reverse("admin:catalog_product_export")
Status = CatalogExport.Status


@pytest.fixture
def shop(settings, tmp_path, variant_factory, category_factory):
    """Three products under Shirts, one elsewhere; exports of 3 and more in the background."""
    settings.VAR_DIR = tmp_path
    settings.CATALOG_EXPORT_BACKGROUND_FROM = 3
    shirts = category_factory(name="Shirts", slug="shirts")
    for number in range(1, 4):
        variant_factory(
            sku=f"SHIRT-{number}-M", product__sku=f"SHIRT-{number}", product__category=shirts
        )
    variant_factory(sku="HAT-1-M", product__sku="HAT-1")
    forget_all()
    return shirts


def _asked(user, fmt="csv", category=None) -> CatalogExport:
    job = catalog_export_request(fmt=fmt, category=category, user=user)
    assert job is not None
    forget_all()
    return job


def test_an_export_above_the_threshold_is_queued_for_the_worker(
    shop, editor_factory, django_capture_on_commit_callbacks
):
    alice = editor_factory(username="alice")
    with django_capture_on_commit_callbacks() as callbacks:
        job = catalog_export_request(fmt="csv", category=shop, user=alice)

    assert job is not None
    assert (job.status, job.total, job.category_name) == ("queued", 3, "Shirts")
    assert list(items_in(catalog_exports, callbacks)) == [job.pk]


def test_an_export_below_the_threshold_downloads_at_once(shop, editor_factory, settings):
    settings.CATALOG_EXPORT_BACKGROUND_FROM = 5
    client = _client(editor_factory(username="alice"))

    response = client.get(EXPORT_URL + "?format=csv")

    assert response.status_code == 200
    assert b"SHIRT-3-M" in b"".join(response.streaming_content)
    assert not CatalogExport.objects.exists()


def test_the_admins_export_of_a_large_catalog_says_where_to_find_it(shop, editor_factory):
    client = _client(editor_factory(username="alice"))

    response = client.get(EXPORT_URL + f"?format=xlsx&category={shop.pk}")

    assert response["Location"] == reverse("admin:catalog_product_changelist") + (
        f"?category__id__exact={shop.pk}"
    )
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Export of Shirts (XLSX) has 3 products: it is prepared in the")
    assert "Jobs (top right)" in message
    job = CatalogExport.objects.get()
    assert (job.format, job.category_slug, job.created_by.username) == ("xlsx", "shirts", "alice")


def test_one_export_at_a_time_each(shop, editor_factory):
    alice = editor_factory(username="alice")
    _asked(alice)

    with pytest.raises(ExportStateError, match="still being prepared"):
        catalog_export_request(fmt="csv", category=None, user=alice)
    assert catalog_export_request(fmt="csv", category=None, user=editor_factory()) is not None


def test_the_worker_writes_the_same_file_as_the_download_and_counts_its_products(
    shop, editor_factory
):
    job = _asked(editor_factory(username="alice"))

    ended = catalog_export_run(export_id=job.pk)

    assert (ended.status, ended.done, ended.total) == ("done", 4, 4)
    written = export_path(ended).read_bytes()
    assert written == b"".join(catalog_export_csv_stream())
    assert ended.size == len(written) and ended.finished_at is not None
    assert catalog_export_run(export_id=job.pk) is None  # a message delivered twice


def test_an_xlsx_export_is_written_for_its_category(shop, editor_factory):
    job = _asked(editor_factory(username="alice"), fmt="xlsx", category=shop)

    ended = catalog_export_run(export_id=job.pk)

    sheet = load_workbook(io.BytesIO(export_path(ended).read_bytes())).active
    skus = sorted(row[7] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert skus == ["SHIRT-1-M", "SHIRT-2-M", "SHIRT-3-M"]


def test_stopped_while_it_writes_it_leaves_no_file(shop, editor_factory, monkeypatch, settings):
    job = _asked(editor_factory(username="alice"))

    def stopped_half_way(category_slug=None):
        yield b"first thousand"
        catalog_export_cancel(export_id=job.pk)
        yield b"second thousand"

    monkeypatch.setattr(export_jobs, "catalog_export_csv_stream", stopped_half_way)
    ended = catalog_export_run(export_id=job.pk)

    assert (ended.status, ended.stored_path) == ("cancelled", "")
    assert list((settings.VAR_DIR / "exports").iterdir()) == []  # nor a partial one


def test_an_ended_export_cannot_be_stopped(shop, editor_factory):
    job = _asked(editor_factory(username="alice"))
    catalog_export_run(export_id=job.pk)

    with pytest.raises(ExportStateError, match="This export is ready"):
        catalog_export_cancel(export_id=job.pk)


def test_only_its_requester_downloads_it(shop, editor_factory):
    alice, bob = editor_factory(username="alice"), editor_factory(username="bob")
    job = catalog_export_run(export_id=_asked(alice, category=shop).pk)
    url = reverse("admin:catalog_export_download", args=[job.pk])

    response = _client(alice).get(url)

    assert response.status_code == 200
    assert 'filename="catalog-shirts.csv"' in response["Content-Disposition"]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content) == export_path(job).read_bytes()
    assert _client(bob).get(url).status_code == 404


def test_an_export_not_ready_or_removed_has_nothing_to_download(shop, editor_factory):
    alice = editor_factory(username="alice")
    job = _asked(alice)
    url = reverse("admin:catalog_export_download", args=[job.pk])

    assert _client(alice).get(url).status_code == 404
    catalog_export_run(export_id=job.pk)
    export_path(CatalogExport.objects.get(pk=job.pk)).unlink()
    assert _client(alice).get(url).status_code == 404


def test_stop_from_the_jobs_page_comes_back_there(shop, editor_factory):
    alice = editor_factory(username="alice")
    job = _asked(alice)
    jobs = reverse("admin:editors_job_changelist")
    (row,) = export_rows(JobQuery(user=alice, everyone=False, limit=5))

    response = _client(alice).post(row.stop_url, {"next": jobs}, follow=True)

    assert response.redirect_chain[-1][0] == jobs
    assert "Export of the catalog (CSV) stopped after 0 products" in response.text
    assert CatalogExport.objects.get(pk=job.pk).status == Status.CANCELLED
    assert _client(alice).get(row.stop_url).status_code == 405
    assert _client(editor_factory()).post(row.stop_url).status_code == 404


def test_jobs_lists_an_export_with_its_download_once_ready(shop, editor_factory):
    alice = editor_factory(username="alice")
    job = _asked(alice)
    query = JobQuery(user=alice, everyone=False, limit=5)
    (queued,) = export_rows(query)
    catalog_export_run(export_id=job.pk)
    (ready,) = export_rows(query)

    assert (queued.status, queued.result_url, queued.stop_url != "") == ("queued", "", True)
    assert (ready.status, ready.note, ready.stop_url) == ("done", "Ready to download", "")
    assert ready.result_url == reverse("admin:catalog_export_download", args=[job.pk])
    page = _client(alice).get(reverse("admin:editors_job_changelist")).text
    assert f'<a href="{ready.result_url}"' in page and "Download" in page


def test_the_sweep_removes_old_files_fails_lost_runs_and_sends_lost_messages(
    shop, editor_factory, settings, django_capture_on_commit_callbacks
):
    alice = editor_factory(username="alice")
    old = catalog_export_run(export_id=_asked(alice).pk)
    fresh = catalog_export_run(export_id=_asked(editor_factory()).pk)
    lost = _asked(editor_factory())
    never_sent = _asked(editor_factory())
    now = timezone.now()
    long_ago = now - timedelta(days=settings.CATALOG_EXPORT_KEEP_DAYS, seconds=1)
    CatalogExport.objects.filter(pk=old.pk).update(finished_at=long_ago)
    stale = now - timedelta(seconds=settings.CATALOG_IMPORT_STALE_AFTER + 1)
    CatalogExport.objects.filter(pk=lost.pk).update(status=Status.RUNNING, heartbeat_at=stale)
    CatalogExport.objects.filter(pk=never_sent.pk).update(created_at=stale)

    with django_capture_on_commit_callbacks() as callbacks:
        sent = catalog_exports_sweep(now=now)

    assert sent == [never_sent.pk] and list(items_in(catalog_exports, callbacks)) == sent
    assert not export_path(old).exists()
    assert CatalogExport.objects.get(pk=old.pk).stored_path == ""
    assert export_path(fresh).exists()
    lost.refresh_from_db()
    assert (lost.status, lost.error) == ("failed", export_jobs.LOST_WORKER)


def test_an_xlsx_of_more_rows_than_a_sheet_holds_is_refused_with_csv_offered(
    shop, editor_factory, monkeypatch
):
    # A sheet's 1,048,576 rows, here 3 (the header and 2): the whole catalog has 4 variants.
    monkeypatch.setattr(export_jobs, "XLSX_MAX_ROWS", 3)
    client = _client(editor_factory(username="alice"))

    refused = client.get(EXPORT_URL + "?format=xlsx")
    shirts = client.get(EXPORT_URL + f"?format=xlsx&category={shop.pk}")  # 3 rows: fits

    (message,) = [str(m) for m in get_messages(refused.wsgi_request)]
    assert message.startswith("An XLSX sheet holds at most 4 rows and this export has more")
    assert "export CSV instead" in message
    assert list(CatalogExport.objects.values_list("format", "category_slug")) == [
        ("xlsx", "shirts")
    ]
    assert shirts.status_code == 302
    assert catalog_export_request(fmt="csv", category=None, user=editor_factory()) is not None
