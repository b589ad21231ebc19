"""Writes to the catalog that are more than a single model save (the demo seed: ``demo``)."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from catalog.models import Category, CategoryTreeLock, Product, Variant
from catalog.tree import category_parent_problem


def product_versions_bump(*, product_ids: Iterable[int]) -> None:
    """Count one more change of each product, in the caller's transaction.

    Statistics remember the version they were computed from, so a recompute can tell
    figures that are current from figures an edit has overtaken.
    """
    ids = sorted(set(product_ids))
    if ids:
        Product.objects.filter(pk__in=ids).update(version=F("version") + 1)


class CategoryTreeError(ValueError):
    """A user-facing reason why a category may not hang under the parent it was given."""


def _locked_parent_of(category_id: int) -> int | None:
    # A locking read always sees the latest committed row. Django runs MariaDB at READ
    # COMMITTED, where a plain read would too; under REPEATABLE READ (if configured) the
    # admin's transaction, which read the tree before it got the lock, would otherwise
    # keep seeing the tree as it was then and miss the move it waited for.
    return (
        Category.objects.select_for_update()
        .filter(pk=category_id)
        .values_list("parent_id", flat=True)
        .first()
    )


def _locked_children_of(category_ids: Collection[int]) -> list[int]:
    return list(
        Category.objects.select_for_update()
        .filter(parent_id__in=category_ids)
        .order_by("id")
        .values_list("id", flat=True)
    )


def category_tree_lock() -> None:
    """Take the tree lock now, for a caller that locks a category row before the tree
    check (the admin's version check): every category save then takes the tree lock
    first, so two saves never hold one lock each while waiting for the other's."""
    _category_tree_lock()


def _category_tree_lock() -> None:
    """Take the tree lock for the rest of the transaction (``CategoryTreeLock``).

    An upsert rather than SELECT ... FOR UPDATE: it locks the row whether or not it
    exists yet (a fresh or flushed database), where two locking reads of a missing row
    followed by two inserts would deadlock.
    """
    # MariaDB's ON DUPLICATE KEY takes no conflict target; SQLite's ON CONFLICT needs one.
    target = ["id"] if connection.features.supports_update_conflicts_with_target else None
    CategoryTreeLock.objects.bulk_create(
        [CategoryTreeLock(pk=1, changed_at=timezone.now())],
        update_conflicts=True,
        unique_fields=target,
        update_fields=["changed_at"],
    )


def category_parent_check(*, category_id: int | None, parent_id: int | None) -> None:
    """Take the tree lock and check the parent against the tree as committed now.

    Must run inside the transaction that then writes the category: the lock is held
    until it commits, so no other save can change the tree between this check and the
    write. The admin calls it from form validation (a refusal is a form error on the
    parent) and saves in the same transaction; ``category_save`` calls it for any other
    caller. A top-level category needs neither lock nor check.

    Raises ``CategoryTreeError`` for a cycle or a tree deeper than
    ``CATALOG_CATEGORY_MAX_DEPTH``.
    """
    if parent_id is None:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("category_parent_check must run in the transaction that saves")
    _category_tree_lock()
    problem = category_parent_problem(
        category_id=category_id,
        parent_id=parent_id,
        parent_of=_locked_parent_of,
        children_of=_locked_children_of,
    )
    if problem:
        raise CategoryTreeError(problem)


@transaction.atomic
def category_save(*, category: Category) -> Category:
    """Save a category after checking, under the tree lock, that the tree stays a tree.

    The one way to write a category's parent outside a migration: the check and the
    write happen in one transaction that holds the lock, so two editors moving X under
    Y and Y under X at once cannot both succeed (the second sees the first's move).
    Raises ``CategoryTreeError`` with nothing saved.
    """
    category_parent_check(category_id=category.pk, parent_id=category.parent_id)
    category.save()
    return category


@dataclass(frozen=True)
class HistoryPruneResult:
    #: Records deleted (or, in a dry run, that would be), per history: "product", "variant".
    deleted: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def history_prune(
    *, older_than: timedelta, dry_run: bool = False, batch_size: int = 1000
) -> HistoryPruneResult:
    """Delete product and variant history records older than ``older_than``.

    The only way a record is ever deleted (saving never deletes one), so it is an
    explicit operator's command with an age. Each object's latest record is always kept,
    however old: it documents the current state (or, for a deleted object, who deleted it
    and when), and the next save diffs against it. Ids are read first and deleted by
    id, in batches with a transaction each: MariaDB cannot DELETE from a table with a
    subquery over that same table, and a long history must not hold one huge lock.
    """
    if older_than <= timedelta(0):
        raise ValueError("The age must be positive.")
    cutoff = timezone.now() - older_than
    deleted: dict[str, int] = {}
    for model in (Product, Variant):
        history = model.history.model
        newer = history.objects.filter(id=OuterRef("id")).filter(
            Q(history_date__gt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id"))
        )
        ids = list(
            history.objects.filter(history_date__lt=cutoff)
            .filter(Exists(newer))
            .order_by("history_id")
            .values_list("history_id", flat=True)
        )
        if not dry_run:
            for start in range(0, len(ids), batch_size):
                with transaction.atomic():
                    history.objects.filter(history_id__in=ids[start : start + batch_size]).delete()
        deleted[model.__name__.lower()] = len(ids)
    return HistoryPruneResult(deleted=deleted)
