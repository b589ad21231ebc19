"""Bulk edits end to end with real workers: the import worker applies the edit beside an
editor's save, the batch worker brings every statistic up to date, undo puts back what
is still the edit's."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from catalog.bulkedit.jobs import bulk_edit_create
from catalog.bulkedit.operations import PRICE_PERCENT, Operation
from catalog.bulkedit.preview import bulk_edit_preview, products_select
from catalog.models import BulkEdit, Product, Variant
from testkit.workers import wait_for
from tests.catalog.bulkedit.conftest import prices
from tests.catalog.imports.conftest import import_workers, uploads_in_tmp  # noqa: F401
from tests.catalog.imports.test_worker import _stats_right

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: The worker must take the job: the command would apply it itself only after this long.
WORKER_ONLY = ["--worker-wait", "120", "--poll", "0.2"]


def _command(*args: str) -> str:
    out = StringIO()
    call_command("bulk_edit", *args, *WORKER_ONLY, stdout=out)
    return out.getvalue()


def _ids(*skus: str) -> list[int]:
    return sorted(Product.objects.filter(sku__in=skus).values_list("pk", flat=True))


def test_an_editor_saving_during_a_bulk_edit_keeps_their_change_as_a_conflict(
    import_workers,  # noqa: F811
    shop,
):
    selection = products_select(category_path="clothing")
    preview = bulk_edit_preview(selection=selection, operations=[Operation(PRICE_PERCENT, "10")])
    with transaction.atomic():  # bob saves SHIRT-2 after the preview was shown
        variant = Variant.objects.get(sku="SHIRT-2-S")
        variant.price = Decimal("30.00")
        variant.save()

    job = bulk_edit_create(preview=preview, user=None)
    wait_for(lambda: not BulkEdit.objects.get(pk=job.pk).is_active, timeout=60, message="apply")

    job.refresh_from_db()
    assert (job.status, job.changed, job.conflicts, job.conflict_skus) == (
        "done",
        2,
        1,
        ["SHIRT-2"],
    )
    assert prices("SCARF", "SHIRT-1", "SHIRT-2") == {
        "SCARF-S": Decimal("21.99"),
        "SCARF-M": Decimal("11.00"),
        "SHIRT-1-S": Decimal("21.99"),
        "SHIRT-1-M": Decimal("11.00"),
        "SHIRT-2-S": Decimal("30.00"),  # bob's price, as he left it
        "SHIRT-2-M": Decimal("10.00"),
    }
    wait_for(
        lambda: _stats_right(_ids("SCARF", "SHIRT-1", "SHIRT-2")),
        timeout=60,
        message="the statistics of the edited products",
    )


def test_an_editor_saving_while_the_edit_waits_for_the_row_keeps_their_change(
    import_workers,  # noqa: F811
    shop,
):
    """The editor's save holds the product's row when the worker reaches it: the worker
    waits for the row, then finds a newer version than its preview's and leaves it."""
    import threading

    from django.db import connection

    locked, release = threading.Event(), threading.Event()

    def bobs_save() -> None:
        try:
            with transaction.atomic():
                # As the change form: the product's row first, then the variant's.
                Product.objects.select_for_update().get(sku="SHIRT-2")
                variant = Variant.objects.select_for_update().get(sku="SHIRT-2-S")
                variant.price = Decimal("30.00")
                variant.save()  # counts the product's version
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    selection = products_select(category_path="clothing")
    preview = bulk_edit_preview(selection=selection, operations=[Operation(PRICE_PERCENT, "10")])
    bob = threading.Thread(target=bobs_save)
    bob.start()
    assert locked.wait(10)
    job = bulk_edit_create(preview=preview, user=None)
    wait_for(lambda: BulkEdit.objects.get(pk=job.pk).status == "running", timeout=60)
    release.set()  # bob commits while the worker waits for his row
    bob.join()
    wait_for(lambda: not BulkEdit.objects.get(pk=job.pk).is_active, timeout=60, message="apply")

    job.refresh_from_db()
    assert (job.changed, job.conflict_skus) == (2, ["SHIRT-2"])
    assert prices("SHIRT-1", "SHIRT-2") == {
        "SHIRT-1-S": Decimal("21.99"),
        "SHIRT-1-M": Decimal("11.00"),
        "SHIRT-2-S": Decimal("30.00"),
        "SHIRT-2-M": Decimal("10.00"),
    }


def test_the_command_applies_in_the_background_and_undo_keeps_later_changes(
    import_workers,  # noqa: F811
    shop,
):
    out = _command("--category", "clothing/shirts", "--price-percent", "10", "--set",
                   "status=published")  # fmt: skip

    job = BulkEdit.objects.get()
    assert f"Bulk edit {job.pk} done: 2 products changed, 0 conflicts." in out
    assert "applying it here" not in out  # the import worker applied it
    assert Product.objects.get(sku="SHIRT-1").status == "published"
    wait_for(lambda: _stats_right(_ids("SHIRT-1", "SHIRT-2")), timeout=60, message="statistics")

    with transaction.atomic():  # an editor's price after the bulk edit
        variant = Variant.objects.get(sku="SHIRT-1-M")
        variant.price = Decimal("12.50")
        variant.save()
    out = _command("--undo", str(job.pk))

    assert f"Undo of bulk edit {job.pk} queued: 2 products to restore" in out
    assert "undoing it here" not in out  # the import worker undid it
    assert "1 conflict: values changed since bulk edit" in out
    assert "SHIRT-1 SHIRT-1-M: price is now 12.50 (the bulk edit wrote 11.00)" in out
    assert prices("SHIRT-1", "SHIRT-2") == {
        "SHIRT-1-S": Decimal("19.99"),
        "SHIRT-1-M": Decimal("12.50"),
        "SHIRT-2-S": Decimal("19.99"),
        "SHIRT-2-M": Decimal("10.00"),
    }
    assert set(
        Product.objects.filter(sku__startswith="SHIRT").values_list("status", flat=True)
    ) == {"draft"}
    wait_for(
        lambda: _stats_right(_ids("SHIRT-1", "SHIRT-2")),
        timeout=60,
        message="the statistics after the undo",
    )


def _importer_killed_and_replaced(workers: list) -> None:
    """SIGKILL the import worker mid-step, then start another like it."""
    import signal

    from config.queues import QUEUE_CATALOG_IMPORTS
    from testkit.workers import WorkerProcess

    importer = workers[0]
    importer.kill(signal.SIGKILL)
    workers.append(WorkerProcess(queues=[QUEUE_CATALOG_IMPORTS], env=importer.env).start())


def _queued(category_factory, count: int) -> BulkEdit:
    """``count`` products of one variant each at 10.00, and a job of +10% on them, queued."""
    category = category_factory(slug="many")
    Product.objects.bulk_create(
        Product(sku=f"M-{n}", name=f"M {n}", slug=f"m-{n}", category=category) for n in range(count)
    )
    Variant.objects.bulk_create(
        Variant(product=product, sku=f"{product.sku}-V", price=Decimal("10.00"))
        for product in Product.objects.all()
    )
    preview = bulk_edit_preview(
        selection=products_select(category_path="many"),
        operations=[Operation(PRICE_PERCENT, "10")],
    )
    return bulk_edit_create(preview=preview, user=None)


def test_an_import_worker_killed_mid_edit_is_taken_over_and_no_product_is_changed_twice(
    import_workers,  # noqa: F811
    category_factory,
):
    count = 3_000  # many chunks: long enough to be caught at it
    job = _queued(category_factory, count)

    def applying() -> bool:
        job.refresh_from_db()
        return job.status == "running" and 0 < job.done < count

    wait_for(applying, timeout=120, interval=0.05, message="the edit half applied")
    _importer_killed_and_replaced(import_workers)
    wait_for(lambda: not BulkEdit.objects.get(pk=job.pk).is_active, timeout=180, message="redo")

    job.refresh_from_db()
    assert (job.status, job.done, job.changed, job.conflicts) == ("done", count, count, 0)
    assert set(Variant.objects.values_list("price", flat=True)) == {Decimal("11.00")}
    assert Product.history.count() == count  # one record each: changed once


def _many(category_factory, count: int) -> BulkEdit:
    """``count`` products of one variant each at 10.00, all +10% by the import worker."""
    job = _queued(category_factory, count)
    wait_for(lambda: not BulkEdit.objects.get(pk=job.pk).is_active, timeout=120, message="edit")
    job.refresh_from_db()
    assert job.changed == count
    return job


def test_undo_runs_in_the_import_worker_and_the_page_follows_it(
    import_workers,  # noqa: F811
    category_factory,
    admin_client,
):
    """The Undo button queues the undo and answers at once; the worker restores every
    value while the page shows the undo's progress, then its result."""
    job = _many(category_factory, 600)
    page = f"/admin/catalog/bulkedit/{job.pk}/change/"

    response = admin_client.post(f"/admin/catalog/bulkedit/{job.pk}/undo/", follow=True)

    assert "The undo of bulk edit" in response.content.decode()
    wait_for(
        lambda: BulkEdit.objects.get(pk=job.pk).undo_status == "done",
        timeout=120,
        message="the undo done by the worker",
    )
    job.refresh_from_db()
    assert (job.undo_done, job.undo_total, job.undo_restored, job.undo_conflicts) == (
        600,
        600,
        600,
        0,
    )
    assert set(Variant.objects.values_list("price", flat=True)) == {Decimal("10.00")}
    text = admin_client.get(page).content.decode()
    assert "600 products restored, 0 values left as they were" in text
    assert "data-live-refresh" not in text  # nothing left to follow
    wait_for(lambda: _stats_right(_ids(*[f"M-{n}" for n in range(600)])), timeout=60)


def test_an_import_worker_killed_mid_undo_is_taken_over_and_no_value_is_restored_twice(
    import_workers,  # noqa: F811
    category_factory,
):
    from catalog.bulkedit.undo import bulk_edit_undo_queue

    count = 3_000  # many chunks: long enough to be caught at it
    job = _many(category_factory, count)
    # An editor's price after the edit: one conflict, reported once however many runs.
    Variant.objects.filter(sku="M-2999-V").update(price=Decimal("99.00"))

    bulk_edit_undo_queue(job_id=job.pk, user=None)

    def undoing() -> bool:
        job.refresh_from_db()
        return job.undo_status == "running" and 0 < job.undo_done < count

    wait_for(undoing, timeout=120, interval=0.05, message="the undo half done")
    _importer_killed_and_replaced(import_workers)
    wait_for(
        lambda: BulkEdit.objects.get(pk=job.pk).undo_status == "done",
        timeout=180,
        message="the undo taken over and done",
    )

    job.refresh_from_db()
    assert (job.undo_done, job.undo_restored, job.undo_conflicts) == (count, count - 1, 1)
    assert [line[0] for line in job.undo_conflict_lines] == ["M-2999"]
    prices_now = list(Variant.objects.values_list("price", flat=True))
    assert prices_now.count(Decimal("10.00")) == count - 1
    # One record for the edit and one for the undo of each product restored: none twice.
    assert Product.history.count() == count + count - 1
