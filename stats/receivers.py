"""The one seam between catalog changes and statistics.

Every save or delete of a product or variant, from the admin or from code, marks the
product stale and bumps its version **in the same transaction**, then queues the
batched recompute when (and only if) the transaction commits. A broker outage at that
moment is logged, not raised: the save has already committed and the stale mark lets
the periodic sweep catch up.
"""

import logging
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from catalog.models import Category, Product, Variant

logger = logging.getLogger(__name__)


class _QueueRecompute:
    """An on-commit callback that remembers which product it queues (see _already_queued)."""

    def __init__(self, product_id: int, category_id: int | None = None) -> None:
        self.product_id = product_id
        self.category_id = category_id
        # Django's robust on_commit logs failures with func.__qualname__, which an
        # instance lacks: without this a broker outage would raise in the editor's save.
        self.__qualname__ = f"queue statistics recompute of product {product_id}"

    def __call__(self) -> None:
        from stats.tasks import queue_product_stats

        queue_product_stats(product_id=self.product_id, category_id=self.category_id)

    def __repr__(self) -> str:
        return f"queue statistics recompute of product {self.product_id}"


def _already_queued(product_id: int) -> bool:
    # An admin save touches the product and each inline variant: mark, bump and queue
    # once per product per transaction, so one editor save counts as one save.
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    return any(
        isinstance(callback, _QueueRecompute) and callback.product_id == product_id
        for _savepoints, callback, _robust in connection.run_on_commit
    )


def _product_changed(product_id: int, *, bump_version: bool) -> None:
    from catalog.services import product_versions_bump
    from stats.services import product_stats_mark_stale

    if _already_queued(product_id):
        return
    if bump_version:
        product_versions_bump(product_ids=[product_id])
    product_stats_mark_stale(product_ids=[product_id])
    transaction.on_commit(_QueueRecompute(product_id), robust=True)


def _deleting_product(origin: Any) -> bool:
    return isinstance(origin, Product) or (isinstance(origin, QuerySet) and origin.model is Product)


def product_saving(sender: type, instance: Product, raw: bool = False, **kwargs: Any) -> None:
    """Bump the version in the product's own UPDATE: no extra statement on a save.

    Two editors saving the same product at once may both write the same version; that
    is harmless, because the stale mark, not the version, is what forces a recompute.
    """
    if raw or instance._state.adding:
        return
    if _already_queued(instance.pk):
        return  # bumped already in this transaction
    instance.version += 1


def product_saved(sender: type, instance: Product, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loaddata: fixtures carry their own state
        return
    _product_changed(instance.pk, bump_version=False)


def product_deleted(sender: type, instance: Product, **kwargs: Any) -> None:
    # The product's statistics go with it; its category's must be recomputed.
    transaction.on_commit(_QueueRecompute(instance.pk, instance.category_id), robust=True)


def variant_saved(sender: type, instance: Variant, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    _product_changed(instance.product_id, bump_version=True)


def variant_deleted(sender: type, instance: Variant, origin: Any = None, **kwargs: Any) -> None:
    if _deleting_product(origin):  # the product itself is going: product_deleted handles it
        return
    _product_changed(instance.product_id, bump_version=True)


def products_bulk_changed(sender: type, product_ids: list[int], **kwargs: Any) -> None:
    """Bulk writes (the demo seed) only mark: the sweep or a bulk run computes them."""
    from stats.services import product_stats_mark_stale

    product_stats_mark_stale(product_ids=product_ids)


def category_saving(sender: type, instance: Category, raw: bool = False, **kwargs: Any) -> None:
    """Remember the parent a category had, for ``category_saved`` (categories rarely change)."""
    if raw or instance._state.adding:
        return
    instance._stats_old_parent_id = (
        Category.objects.filter(pk=instance.pk).values_list("parent_id", flat=True).first()
    )


def category_saved(sender: type, instance: Category, raw: bool = False, **kwargs: Any) -> None:
    """A new or moved category changes the figures of both trees: mark them for the refresh.

    No product recompute sees this (no product changed). The refresh recomputes a marked
    category and its ancestors, so marking the category covers its new parent's tree and
    marking the old parent covers the tree it left.
    """
    from stats.services import category_stats_mark_stale

    if raw:
        return
    old_parent_id = getattr(instance, "_stats_old_parent_id", None)
    if kwargs.get("created") or old_parent_id != instance.parent_id:
        category_stats_mark_stale(category_ids={instance.pk, old_parent_id} - {None})
