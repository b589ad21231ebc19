"""Catalog > Bulk edits: a job's page (who, what, progress, conflicts), whose jobs one
sees, Stop, and "Undo bulk edit #N" asked first, then its result and its conflicts."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from catalog.bulkedit.jobs import bulk_edit_run
from catalog.bulkedit.undo import bulk_edit_undo_run
from catalog.models import BulkEdit, Product, Variant
from testkit.on_commit import forget_all
from tests.catalog.bulkedit.conftest import prices
from tests.catalog.bulkedit.test_jobs import TEN_PERCENT, queue

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _page(job: BulkEdit) -> str:
    return f"/admin/catalog/bulkedit/{job.pk}/change/"


def _applied(username: str, skus=("SHIRT-1", "SHIRT-2")) -> BulkEdit:
    job = queue(skus=list(skus), operations=TEN_PERCENT, user=_user(username))
    forget_all()
    bulk_edit_run(job_id=job.pk)
    forget_all()
    job.refresh_from_db()
    return job


def test_a_queued_jobs_page_says_who_what_and_follows_the_progress(alice, shop):
    job = queue(skus=["SHIRT-1"], user=_user("alice"))

    response = alice.get(_page(job))

    text = response.text
    assert "alice" in text and "price +10%" in text and "SKU SHIRT-1" in text
    assert '<progress class="bulk-edit-progress" max="100" value="0"' in text
    assert "waiting to start" in text
    assert 'data-live-refresh="2"' in text and "editors/live_refresh.js" in text
    assert "Undo bulk edit" not in text  # not finished yet
    assert "bulkedit_cancel_form" in text


def test_a_finished_job_stops_refreshing_and_offers_its_undo(alice, shop):
    job = _applied("alice")

    text = alice.get(_page(job)).text

    assert "data-live-refresh" not in text
    assert "2 products changed, 0 conflicts" in text
    assert f"Undo bulk edit #{job.pk}" in text


def test_conflicts_are_listed_with_links_to_the_products(alice, shop):
    job = queue(skus=["SHIRT-1", "SHIRT-2"], user=_user("alice"))
    shirt = shop.products["SHIRT-2"]
    shirt.name = "Saved by bob"
    shirt.save()
    forget_all()
    bulk_edit_run(job_id=job.pk)
    forget_all()

    text = alice.get(_page(job)).text

    assert f'<a href="/admin/catalog/product/{shirt.pk}/change/">SHIRT-2</a>' in text


def test_each_editor_sees_only_their_own_bulk_edits(alice, bob, shop, admin_client):
    alices = queue(skus=["SHIRT-1"], user=_user("alice"))
    bobs = queue(skus=["BOOT"], user=_user("bob"))

    listed = bob.get("/admin/catalog/bulkedit/").context["cl"].result_list

    assert list(listed) == [bobs]
    assert bob.get(_page(alices)).status_code == 404
    assert bob.post(f"/admin/catalog/bulkedit/{alices.pk}/undo/").status_code == 404
    everyone = admin_client.get("/admin/catalog/bulkedit/").context["cl"].result_list
    assert set(everyone) == {alices, bobs}


def test_undo_asks_first_and_changes_nothing_until_confirmed(alice, shop):
    job = _applied("alice")

    response = alice.get(f"/admin/catalog/bulkedit/{job.pk}/undo/")

    assert f"Yes, undo bulk edit #{job.pk}" in response.text
    assert prices("SHIRT-1")["SHIRT-1-S"] == Decimal("21.99")


def test_undo_is_queued_for_the_worker_and_the_page_follows_it(alice, shop):
    job = _applied("alice")

    response = alice.post(f"/admin/catalog/bulkedit/{job.pk}/undo/", follow=True)

    text = response.text
    assert f"The undo of bulk edit {job.pk} has started: this page follows it." in text
    assert prices("SHIRT-1")["SHIRT-1-S"] == Decimal("21.99")  # the worker's to do
    assert f'aria-label="{job} undo progress"' in text
    assert "0 of 2 products (0%), waiting to start" in text
    assert 'data-live-refresh="2"' in text
    assert f"Undo bulk edit #{job.pk}" not in text
    job.refresh_from_db()
    assert (job.undo_status, job.undone_by) == ("queued", _user("alice"))


def test_undo_restores_and_lists_the_values_changed_since(alice, shop):
    job = _applied("alice")
    Variant.objects.filter(sku="SHIRT-2-S").update(price=Decimal("5.00"))

    alice.post(f"/admin/catalog/bulkedit/{job.pk}/undo/")
    bulk_edit_undo_run(job_id=job.pk)  # what the import worker does
    forget_all()
    response = alice.get(_page(job))

    assert prices("SHIRT-1") == {"SHIRT-1-S": Decimal("19.99"), "SHIRT-1-M": Decimal("10.00")}
    assert prices("SHIRT-2")["SHIRT-2-S"] == Decimal("5.00")
    text = response.text
    assert "2 products restored, 1 value left as they were" in text
    assert "data-live-refresh" not in text
    shirt = Product.objects.get(sku="SHIRT-2")
    assert f'<a href="/admin/catalog/product/{shirt.pk}/change/">SHIRT-2 SHIRT-2-S: price' in text
    assert "Undone on" in text and f"Undo bulk edit #{job.pk}" not in text


def test_a_second_undo_says_it_is_being_undone_then_that_it_was_undone_already(alice, shop):
    job = _applied("alice")
    alice.post(f"/admin/catalog/bulkedit/{job.pk}/undo/")

    response = alice.post(f"/admin/catalog/bulkedit/{job.pk}/undo/", follow=True)
    assert f"Bulk edit {job.pk} is being undone." in response.text
    bulk_edit_undo_run(job_id=job.pk)
    forget_all()
    response = alice.post(f"/admin/catalog/bulkedit/{job.pk}/undo/", follow=True)
    assert f"Bulk edit {job.pk} was undone already." in response.text


def test_a_failed_undo_says_so_and_offers_undo_again(alice, shop, monkeypatch):
    from catalog.bulkedit import undo

    job = _applied("alice")
    alice.post(f"/admin/catalog/bulkedit/{job.pk}/undo/")

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(undo, "chunk_undo", broken)
    bulk_edit_undo_run(job_id=job.pk)

    text = alice.get(_page(job)).text
    assert "it stopped on an unexpected problem after 0 products" in text
    assert f"Undo bulk edit #{job.pk}" in text


def test_stop_cancels_a_queued_job(alice, shop):
    job = queue(skus=["SHIRT-1"], user=_user("alice"))

    alice.post(f"/admin/catalog/bulkedit/{job.pk}/cancel/")

    job.refresh_from_db()
    assert job.status == BulkEdit.Status.CANCELLED


def test_a_running_job_says_how_long_is_left(shop):
    from datetime import timedelta

    from django.utils import timezone

    from catalog.admin.bulk_edit_jobs import progress_words

    job = BulkEdit(
        status=BulkEdit.Status.RUNNING,
        done=100,
        total=400,
        started_at=timezone.now() - timedelta(seconds=10),
    )

    assert progress_words(job) == "100 of 400 products (25%), about 30 seconds left"
