"""``manage.py bulk_edit``: the contract scripts and operators rely on."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from catalog.models import BulkEdit, Product, Variant
from testkit.on_commit import forget_all
from tests.catalog.bulkedit.conftest import prices

pytestmark = pytest.mark.django_db

#: No worker runs in these tests: the command applies the edit itself after this wait.
NO_WORKER = ["--worker-wait", "0.01", "--poll", "0.01"]


def bulk_edit(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("bulk_edit", *args, *NO_WORKER, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_preview_and_changes_nothing(shop):
    out = bulk_edit("--category", "clothing/shirts", "--price-percent", "10", "--dry-run")

    assert "Selected 2 products (the products of Clothing / Shirts and its subcategories)" in out
    assert "SHIRT-1-S price 19.99 -> 21.99" in out
    assert "Dry run: nothing changed." in out
    assert not BulkEdit.objects.exists()
    assert prices("SHIRT-1")["SHIRT-1-S"] == Decimal("19.99")


def test_an_edit_is_applied_and_its_number_printed(shop, editor_factory):
    alice = editor_factory(username="alice")  # an editor: may bulk edit

    out = bulk_edit(
        "--category", "clothing", "--sku", "BOOT", "--price-percent", "-10",
        "--set", "status=published", "--set", "category=clothing/shirts", "--as", "alice",
    )  # fmt: skip

    job = BulkEdit.objects.get()
    assert f"Bulk edit {job.pk} done: 4 products changed, 0 conflicts." in out
    assert "[##############################] 100%" in out
    assert prices("BOOT")["BOOT-S"] == Decimal("17.99")  # 17.991
    products = Product.objects.all()
    assert {(p.status, p.category.slug) for p in products} == {("published", "shirts")}
    record = Product.objects.get(sku="BOOT").history.first()
    assert record.history_user == alice
    assert record.history_change_reason == (
        f"Bulk edit #{job.pk} by alice: status Published, category Clothing / Shirts, price -10%"
    )


def test_undo_restores_and_prints_the_conflicts(shop):
    bulk_edit("--category", "clothing/shirts", "--price-percent", "10")
    job = BulkEdit.objects.get()
    forget_all()
    Variant.objects.filter(sku="SHIRT-2-M").update(price=Decimal("99.00"))

    out = bulk_edit("--undo", str(job.pk))

    assert f"Undo of bulk edit {job.pk} queued: 2 products to restore" in out
    assert f"No worker started the undo of bulk edit {job.pk}: undoing it here." in out
    assert "[##############################] 100% | 2/2 products | done" in out
    assert "1 conflict: values changed since bulk edit" in out
    assert "SHIRT-2 SHIRT-2-M: price is now 99.00 (the bulk edit wrote 11.00)" in out
    assert f"Bulk edit {job.pk} undone: 2 products restored, 1 conflict." in out
    assert prices("SHIRT-1", "SHIRT-2") == {
        "SHIRT-1-S": Decimal("19.99"),
        "SHIRT-1-M": Decimal("10.00"),
        "SHIRT-2-S": Decimal("19.99"),
        "SHIRT-2-M": Decimal("99.00"),
    }


def test_an_undo_without_conflicts_says_none(shop):
    bulk_edit("--sku", "BOOT", "--set", "status=published")

    out = bulk_edit("--undo", str(BulkEdit.objects.get().pk))

    assert "conflict:" not in out
    assert Product.objects.get(sku="BOOT").status == "draft"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--category", "hats", "--price-percent", "5"], "No category 'hats'"),
        (["--sku", "NOPE", "--price-percent", "5"], "No product or variant with the SKU 'NOPE'"),
        (["--sku", "BOOT", "--price-percent", "5", "--as", "nobody"], "No user named 'nobody'"),
        (["--sku", "BOOT", "--set", "status=gone"], "No status 'gone'"),
        (["--sku", "BOOT", "--set", "colour=red"], "--set 'colour=red': use one of"),
        (["--sku", "BOOT", "--price-percent", "ten"], "--price-percent: 'ten' is not a number"),
        (["--price-percent", "5"], "Select products"),
        (["--sku", "BOOT"], "Say what to change"),
        (["--sku", "BOOT", "--price-percent", "-120"], "BOOT: BOOT-S would cost -4.00"),
        (["--sku", "BOOT", "--price-percent", "-120", "--dry-run"], "BOOT-S would cost -4.00"),
        (["--undo", "999"], "No bulk edit 999"),
        (["--undo", "1", "--dry-run"], "--undo N takes no selection, operation or --dry-run"),
    ],
)
def test_bad_input_is_one_sentence_and_writes_nothing(shop, args, message):
    with pytest.raises(CommandError) as refused:
        bulk_edit(*args)

    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert not BulkEdit.objects.exists()
    assert prices("BOOT") == {"BOOT-S": Decimal("19.99"), "BOOT-M": Decimal("10.00")}
    assert set(Product.objects.values_list("status", flat=True)) == {"draft"}


@pytest.mark.parametrize("undo", [False, True])
def test_as_a_user_without_the_bulk_edit_permission_is_refused_and_writes_nothing(
    shop, user_factory, undo
):
    user_factory(username="carol", is_staff=True)  # staff, not an editor
    bulk_edit("--sku", "SHIRT-1", "--set", "status=published")
    job = BulkEdit.objects.get()
    args = ["--undo", str(job.pk)] if undo else ["--sku", "BOOT", "--price-percent", "5"]

    with pytest.raises(CommandError) as refused:
        bulk_edit(*args, "--as", "carol")

    assert str(refused.value) == (
        "User 'carol' may not edit many products at once: they need the "
        "catalog.bulk_edit_product permission (the editors' group has it)."
    )
    job.refresh_from_db()
    assert BulkEdit.objects.count() == 1 and job.undone_at is None
    assert prices("BOOT") == {"BOOT-S": Decimal("19.99"), "BOOT-M": Decimal("10.00")}


def test_an_inactive_editor_is_refused(shop, editor_factory):
    editor_factory(username="dave", is_active=False)

    with pytest.raises(CommandError, match="'dave' may not edit many products"):
        bulk_edit("--sku", "BOOT", "--price-percent", "5", "--as", "dave")

    assert not BulkEdit.objects.exists()


def test_without_as_the_edit_is_the_operators_and_names_no_user(shop):
    bulk_edit("--sku", "BOOT", "--price-percent", "5")

    job = BulkEdit.objects.get()
    record = Product.objects.get(sku="BOOT").history.first()
    assert (job.created_by, record.history_user) == (None, None)
    assert record.history_change_reason == f"Bulk edit #{job.pk}: price +5%"


def test_a_failed_undo_is_one_line_and_goes_on_when_asked_again(shop, monkeypatch):
    from catalog.bulkedit import undo

    bulk_edit("--category", "clothing", "--price-percent", "10")
    job = BulkEdit.objects.get()
    real = undo.chunk_undo
    monkeypatch.setattr(undo, "APPLY_CHUNK", 1)  # a chunk per product
    calls = []

    def second_fails(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(**kwargs)

    monkeypatch.setattr(undo, "chunk_undo", second_fails)
    with pytest.raises(CommandError) as refused:
        bulk_edit("--undo", str(job.pk))
    assert str(refused.value) == (
        f"The undo of bulk edit {job.pk} failed after 1 product: RuntimeError: disk on fire "
        f"(run --undo {job.pk} again to go on)"
    )

    out = bulk_edit("--undo", str(job.pk))

    assert f"Bulk edit {job.pk} undone: 3 products restored, 0 conflicts." in out
    assert len(calls) == 4  # the first product was not undone twice
    assert prices("SCARF", "SHIRT-1", "SHIRT-2") == {
        f"{sku}-{size}": price
        for sku in ("SCARF", "SHIRT-1", "SHIRT-2")
        for size, price in (("S", Decimal("19.99")), ("M", Decimal("10.00")))
    }


def test_a_failed_edit_is_one_line_and_a_non_zero_exit(shop, monkeypatch):
    from catalog.bulkedit import jobs

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "chunk_apply", broken)

    with pytest.raises(CommandError) as refused:
        bulk_edit("--sku", "BOOT", "--price-percent", "5")

    job = BulkEdit.objects.get()
    assert str(refused.value) == f"Bulk edit {job.pk} failed, 0 changed: RuntimeError: disk on fire"


def test_an_edit_run_again_finds_nothing_to_change_and_succeeds(shop):
    bulk_edit("--sku", "BOOT", "--set", "status=published")

    out = bulk_edit("--sku", "BOOT", "--set", "status=published")

    assert out == (
        "Nothing to change: the selected products already have these values "
        "(1 product; no bulk edit recorded).\n"
    )
    assert BulkEdit.objects.count() == 1
