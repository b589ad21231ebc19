from decimal import Decimal

import pytest

from catalog.bulkedit.jobs import bulk_edit_run
from catalog.bulkedit.operations import BulkEditError, operation_status
from catalog.bulkedit.preview import category_operation
from catalog.bulkedit.undo import bulk_edit_undo
from catalog.models import Product, Variant
from testkit.on_commit import forget_all
from tests.catalog.bulkedit.conftest import prices
from tests.catalog.bulkedit.test_jobs import TEN_PERCENT, queue

pytestmark = pytest.mark.django_db


def test_undo_restores_every_value_the_job_wrote(shop, user_factory):
    job = queue(category="clothing", operations=[*TEN_PERCENT, category_operation("shoes")])
    bulk_edit_run(job_id=job.pk)
    bob = user_factory(username="bob")

    result = bulk_edit_undo(job_id=job.pk, user=bob)

    assert (result.restored, result.conflicts) == (3, [])
    assert prices("SCARF", "SHIRT-1")["SHIRT-1-S"] == Decimal("19.99")
    categories = dict(Product.objects.values_list("sku", "category__slug"))
    assert categories == {
        "SCARF": "clothing",
        "SHIRT-1": "shirts",
        "SHIRT-2": "shirts",
        "BOOT": "shoes",
    }
    record = Product.objects.get(sku="SHIRT-1").history.first()
    assert (record.history_change_reason, record.history_user) == (
        f"Undo of bulk edit #{job.pk} by bob: price +10%, category Shoes",
        bob,
    )


def test_undo_leaves_values_changed_since_and_says_which(shop):
    job = queue(
        category="clothing/shirts", operations=[*TEN_PERCENT, operation_status("published")]
    )
    bulk_edit_run(job_id=job.pk)
    forget_all()
    variant = Variant.objects.get(sku="SHIRT-1-S")
    variant.price = Decimal("25.00")  # an editor's price after the bulk edit
    variant.save()

    result = bulk_edit_undo(job_id=job.pk, user=None)

    assert result.conflicts == [
        "SHIRT-1 SHIRT-1-S: price is now 25.00 (the bulk edit wrote 21.99), left as it is."
    ]
    assert prices("SHIRT-1", "SHIRT-2") == {
        "SHIRT-1-S": Decimal("25.00"),
        "SHIRT-1-M": Decimal("10.00"),
        "SHIRT-2-S": Decimal("19.99"),
        "SHIRT-2-M": Decimal("10.00"),
    }
    assert set(
        Product.objects.filter(sku__startswith="SHIRT").values_list("status", flat=True)
    ) == {"draft"}
    job.refresh_from_db()
    assert job.undo_conflicts == 1


def test_a_job_is_undone_once(shop):
    job = queue(skus=["BOOT"])
    bulk_edit_run(job_id=job.pk)
    bulk_edit_undo(job_id=job.pk, user=None)

    with pytest.raises(BulkEditError, match="undone already"):
        bulk_edit_undo(job_id=job.pk, user=None)


def test_a_queued_job_cannot_be_undone(shop):
    job = queue(skus=["BOOT"])

    with pytest.raises(BulkEditError, match="is queued"):
        bulk_edit_undo(job_id=job.pk, user=None)


def test_a_category_changed_since_is_named_and_one_deleted_since_is_not_put_back(
    shop, category_factory
):
    hats = category_factory(name="Hats", slug="hats")
    job = queue(skus=["SHIRT-1", "BOOT"], operations=[category_operation("clothing")])
    bulk_edit_run(job_id=job.pk)
    forget_all()
    Product.objects.filter(sku="SHIRT-1").update(category=hats)  # an editor's move since
    Product.objects.filter(sku="BOOT").update(category=shop.clothing)
    shop.shoes.delete()  # BOOT's category before the edit

    result = bulk_edit_undo(job_id=job.pk, user=None)

    assert result.conflicts == [
        "SHIRT-1: category is now Hats (the bulk edit wrote Clothing), left as it is.",
        "BOOT: category left as it is: the category it was in before has been deleted.",
    ]
    assert result.restored == 0
