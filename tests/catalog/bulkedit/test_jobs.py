from decimal import Decimal

import pytest

from catalog.bulkedit.jobs import (
    bulk_edit_cancel,
    bulk_edit_create,
    bulk_edit_run,
    bulk_edits,
)
from catalog.bulkedit.operations import PRICE_PERCENT, BulkEditError, Operation, operation_status
from catalog.bulkedit.preview import bulk_edit_preview, products_select
from catalog.models import BulkEdit, BulkEditChange, Product
from stats.batch.requests import recompute_requests
from testkit.on_commit import forget_all, items_in
from tests.catalog.bulkedit.conftest import prices

pytestmark = pytest.mark.django_db

TEN_PERCENT = [Operation(PRICE_PERCENT, "10")]


def queue(*, category: str | None = None, skus=(), operations=TEN_PERCENT, user=None) -> BulkEdit:
    selection = products_select(category_path=category, skus=skus)
    preview = bulk_edit_preview(selection=selection, operations=operations)
    return bulk_edit_create(preview=preview, user=user)


def test_a_job_is_queued_for_the_worker_once_its_preview_is_recorded(
    shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = queue(category="clothing/shirts")

    assert list(items_in(bulk_edits, callbacks)) == [job.pk]
    assert (job.status, job.total, job.summary) == ("queued", 2, "price +10%")
    assert job.versions == {str(shop.products[s].pk): 1 for s in ("SHIRT-1", "SHIRT-2")}
    assert prices("SHIRT-1")["SHIRT-1-S"] == Decimal("19.99")  # nothing applied yet


def test_the_run_changes_each_product_once_with_one_history_record_naming_the_editor(
    shop, user_factory
):
    alice = user_factory(username="alice")
    job = queue(category="clothing", user=alice)

    bulk_edit_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.changed, job.conflicts) == ("done", 3, 3, 3, 0)
    assert prices("SCARF", "SHIRT-1") == {
        "SCARF-S": Decimal("21.99"),
        "SCARF-M": Decimal("11.00"),
        "SHIRT-1-S": Decimal("21.99"),
        "SHIRT-1-M": Decimal("11.00"),
    }
    assert prices("BOOT")["BOOT-S"] == Decimal("19.99")  # not selected
    shirt = Product.objects.get(sku="SHIRT-1")
    assert shirt.version == 2  # one change, however many variants it wrote
    record = shirt.history.first()
    assert shirt.history.count() == 2  # the factory's creation, then the bulk edit
    assert (record.history_change_reason, record.history_user) == (
        f"Bulk edit #{job.pk} by alice: price +10%",
        alice,
    )
    assert BulkEditChange.objects.filter(job=job).count() == 6


def test_one_statistics_request_per_changed_product_after_the_commit(
    shop, django_capture_on_commit_callbacks
):
    job = queue(category="clothing", operations=[*TEN_PERCENT, operation_status("published")])

    with django_capture_on_commit_callbacks() as callbacks:
        bulk_edit_run(job_id=job.pk)

    expected = sorted(shop.products[s].pk for s in ("SCARF", "SHIRT-1", "SHIRT-2"))
    assert sorted(items_in(recompute_requests, callbacks)) == expected


def test_a_product_saved_since_the_preview_is_left_as_it_is_and_counted_a_conflict(shop):
    job = queue(category="clothing/shirts", operations=[operation_status("published")])
    other = Product.objects.get(sku="SHIRT-2")
    other.name = "Saved by bob meanwhile"
    other.save()
    forget_all()  # bob's save committed

    bulk_edit_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.changed, job.conflicts, job.conflict_skus) == (1, 1, ["SHIRT-2"])
    statuses = dict(Product.objects.values_list("sku", "status"))
    assert (statuses["SHIRT-1"], statuses["SHIRT-2"]) == ("published", "draft")
    assert Product.objects.get(sku="SHIRT-2").name == "Saved by bob meanwhile"


def test_a_job_runs_once_however_often_its_message_comes(shop):
    job = queue(skus=["BOOT"])

    assert bulk_edit_run(job_id=job.pk) is not None
    assert bulk_edit_run(job_id=job.pk) is None

    assert prices("BOOT")["BOOT-S"] == Decimal("21.99")


def test_a_preview_with_errors_is_refused_and_nothing_is_recorded(shop):
    with pytest.raises(BulkEditError, match=r"a price cannot be negative\. Nothing was changed"):
        queue(skus=["BOOT"], operations=[Operation(PRICE_PERCENT, "-101")])

    assert not BulkEdit.objects.exists()


def test_an_edit_that_changes_nothing_is_refused(shop):
    with pytest.raises(BulkEditError, match="Nothing to change"):
        queue(skus=["BOOT"], operations=[operation_status("draft")])


def test_a_cancelled_job_is_not_applied(shop):
    job = queue(skus=["BOOT"])

    bulk_edit_cancel(job_id=job.pk)

    assert bulk_edit_run(job_id=job.pk) is None
    assert prices("BOOT")["BOOT-S"] == Decimal("19.99")
    assert BulkEdit.objects.get(pk=job.pk).status == "cancelled"


def test_a_run_whose_worker_was_lost_is_taken_over_without_changing_a_product_twice(shop):
    from datetime import timedelta

    from django.utils import timezone

    from catalog.bulkedit.apply import chunk_apply
    from catalog.bulkedit.jobs import bulk_edit_reason

    job = queue(category="clothing")
    first = min(int(pk) for pk in job.versions)
    # The lost run committed its first chunk (one product), then went silent.
    chunk_apply(
        job=job,
        product_ids=[first],
        operations=TEN_PERCENT,
        user=None,
        reason=bulk_edit_reason(job),
    )
    forget_all()
    BulkEdit.objects.filter(pk=job.pk).update(
        status="running", heartbeat_at=timezone.now() - timedelta(hours=1)
    )

    assert bulk_edit_run(job_id=job.pk) is not None

    job.refresh_from_db()
    assert (job.status, job.changed, job.conflicts) == ("done", 3, 0)
    assert set(prices("SCARF", "SHIRT-1", "SHIRT-2").values()) == {
        Decimal("21.99"),
        Decimal("11.00"),
    }
    assert Product.objects.get(pk=first).history.count() == 2  # created, then edited once


def test_progress_is_written_after_each_chunk(shop, monkeypatch):
    from catalog.bulkedit import jobs

    monkeypatch.setattr(jobs, "APPLY_CHUNK", 1)
    job = queue(category="clothing")
    seen: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        stored = BulkEdit.objects.get(pk=job.pk)
        assert (stored.done, stored.total) == (done, total)
        seen.append((done, total, stored.changed))

    bulk_edit_run(job_id=job.pk, on_progress=progress)

    assert seen == [(1, 3, 1), (2, 3, 2), (3, 3, 3)]


def test_an_unexpected_error_ends_the_job_failed_with_the_error(shop, monkeypatch):
    from catalog.bulkedit import jobs

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "chunk_apply", broken)
    job = queue(skus=["BOOT"])

    bulk_edit_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "RuntimeError: disk on fire")
    assert job.finished_at is not None
