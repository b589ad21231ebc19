"""How catalog changes reach the statistics: stats listens, the catalog never calls stats.

- ``catalog.signals.product_changed`` (once per product per transaction, after the
  catalog bumped its version): mark stale now, request a recompute on commit.
- ``catalog.signals.products_changed`` (an import): the same, many products at once.
- a product deleted: its category's figures must be refreshed (the request carries it).
- ``catalog.signals.products_bulk_changed`` (the demo seed): mark only; the sweep or a
  bulk run computes them. Not an editor save: ``save_count`` stays as it was.
- a category created or moved: both trees' figures change, with no product saved.
"""

from typing import Any

from catalog.models import Category, Product


def product_changed(sender: type, product_id: int, **kwargs: Any) -> None:
    from stats.batch.requests import product_stats_request

    product_stats_request(product_ids=[product_id])


def products_changed(sender: type, product_ids: list[int], **kwargs: Any) -> None:
    """An import: the same as ``product_changed`` for each product, in one mark statement."""
    from stats.batch.requests import product_stats_request

    product_stats_request(product_ids=product_ids)


def product_deleting(sender: type, instance: Product, **kwargs: Any) -> None:
    """Remember the category the product's statistics counted it in, for ``product_deleted``
    (a product moved since its last recompute still counts in its old category)."""
    from stats.recompute.models import ProductStats

    # A note on this instance only: stats declares nothing on the catalog's model.
    instance.__dict__["_stats_counted_category_id"] = (
        ProductStats.objects.filter(product_id=instance.pk)
        .values_list("category_id", flat=True)
        .first()
    )


def product_deleted(sender: type, instance: Product, **kwargs: Any) -> None:
    """The product's statistics go with it; its category's must be recomputed.

    The category's mark, and the "rebuild its own figures" mark of both categories that
    may count the product (``stats.recompute.own_figures``), are written in the delete's
    transaction, as a save's product mark is: the periodic refresh then repairs the
    category whether or not the request arrives, and the sweep no longer has to
    recompute every category to be sure.
    """
    from stats.batch.requests import product_deleted_request
    from stats.recompute.marks import category_stats_mark_stale
    from stats.recompute.own_figures import own_figures_mark_stale

    counted = {instance.category_id, getattr(instance, "_stats_counted_category_id", None)}
    own_figures_mark_stale(category_ids=counted)
    category_stats_mark_stale(category_ids={cid for cid in counted if cid is not None})
    product_deleted_request(product_id=instance.pk, category_id=instance.category_id)


def products_bulk_changed(sender: type, product_ids: list[int], **kwargs: Any) -> None:
    from stats.recompute.marks import product_stats_mark_stale

    # Code wrote these rows, no editor saved them: "Editor saves" must not count them.
    product_stats_mark_stale(product_ids=product_ids, count_save=False)


def category_saving(sender: type, instance: Category, raw: bool = False, **kwargs: Any) -> None:
    """Remember the parent a category had, for ``category_saved`` (categories rarely change)."""
    if raw or instance._state.adding:
        return
    # A note on this instance only: stats declares nothing on the catalog's model.
    instance.__dict__["_stats_old_parent_id"] = (
        Category.objects.filter(pk=instance.pk).values_list("parent_id", flat=True).first()
    )


def category_saved(sender: type, instance: Category, raw: bool = False, **kwargs: Any) -> None:
    """A new or moved category changes the figures of both trees: mark them for the refresh.

    No product recompute sees this (no product changed). The refresh recomputes a marked
    category and its ancestors, so marking the category covers its new parent's tree and
    marking the old parent covers the tree it left.
    """
    from stats.recompute.marks import category_stats_mark_stale

    if raw:
        return
    old_parent_id = getattr(instance, "_stats_old_parent_id", None)
    if kwargs.get("created") or old_parent_id != instance.parent_id:
        ids = (instance.pk, old_parent_id)
        category_stats_mark_stale(category_ids={i for i in ids if i is not None})
