"""Pruning the edit history: only by the explicit command, only by age."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import Product, Variant
from catalog.services import history_prune

pytestmark = pytest.mark.django_db


def _save_at(obj: Product | Variant, days_ago: float, **changes: object) -> None:
    for name, value in changes.items():
        setattr(obj, name, value)
    obj._history_date = timezone.now() - timedelta(days=days_ago)
    obj.save()


def _names(product: Product) -> list[str]:
    return list(product.history.order_by("history_date").values_list("name", flat=True))


@pytest.fixture
def old_product(product_factory):
    """A product created 100 days ago, saved 90 and 80 days ago, and 5 days ago."""
    product = product_factory(name="Created")
    product.history.update(history_date=timezone.now() - timedelta(days=100))
    _save_at(product, 90, name="Day 10")
    _save_at(product, 80, name="Day 20")
    _save_at(product, 5, name="Recent")
    return product


def test_records_older_than_the_age_are_deleted_and_newer_ones_kept(old_product):
    result = history_prune(older_than=timedelta(days=30))

    assert _names(old_product) == ["Recent"]
    assert result.deleted["product"] == 3


def test_the_latest_record_of_an_object_is_kept_however_old(product_factory, variant_factory):
    untouched = product_factory(name="Untouched")
    untouched.history.update(history_date=timezone.now() - timedelta(days=400))
    variant = variant_factory()
    variant.history.update(history_date=timezone.now() - timedelta(days=400))
    _save_at(variant, 300, stock=1)
    gone = variant_factory(sku="GONE-1")
    gone_id = gone.pk
    gone.history.update(history_date=timezone.now() - timedelta(days=400))
    gone._history_date = timezone.now() - timedelta(days=200)
    gone.delete()

    history_prune(older_than=timedelta(days=30))

    assert untouched.history.count() == 1  # its current state stays documented
    assert list(variant.history.values_list("stock", flat=True)) == [1]
    # A deleted object keeps its last record: who deleted it, and when.
    assert list(Variant.history.filter(id=gone_id).values_list("history_type", flat=True)) == ["-"]


def test_a_dry_run_counts_and_deletes_nothing(old_product):
    result = history_prune(older_than=timedelta(days=30), dry_run=True)

    assert result.deleted["product"] == 3
    assert _names(old_product) == ["Created", "Day 10", "Day 20", "Recent"]


def test_the_command_prunes_and_says_what_it_kept(old_product, capsys):
    call_command("prune_history", "--older-than", "85")

    out = capsys.readouterr().out
    assert "Deleted 2 history records older than 85 days (2 product, 0 variant)" in out
    assert "latest record kept" in out
    assert _names(old_product) == ["Day 20", "Recent"]


def test_the_command_dry_run_says_would_delete(old_product, capsys):
    call_command("prune_history", "--older-than", "30", "--dry-run")

    assert "Would delete 3 history records" in capsys.readouterr().out
    assert len(_names(old_product)) == 4


@pytest.mark.parametrize("days", ["0", "-7", "36501", "1000000"])
def test_the_command_refuses_an_age_out_of_range_in_one_line(days, old_product):
    with pytest.raises(CommandError) as refused:
        call_command("prune_history", "--older-than", days)

    assert str(refused.value) == (
        f"Error: argument --older-than: {int(days):,} is out of range: 1 to 36,500 days"
    )
    assert len(_names(old_product)) == 4


def test_the_command_needs_an_age(old_product):
    with pytest.raises(CommandError, match="--older-than"):
        call_command("prune_history")
    assert len(_names(old_product)) == 4


def test_the_service_refuses_a_non_positive_age():
    with pytest.raises(ValueError, match="positive"):
        history_prune(older_than=timedelta(0))
