"""The catalog's own rule: every change of a product counts one version, once per transaction.

Statistics remember the version they were computed from, so a recompute can tell current
figures from figures an edit has overtaken. An admin save writes the product and each
inline variant in one transaction: that is one change, so one version and one
``product_changed`` notice, however many rows it wrote.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from catalog.models import Category, Product, Variant
from catalog.signals import product_changed, products_changed
from config.transactions import PerTransaction

#: Products changed in the current transaction (their version is bumped already).
changed_products: PerTransaction[int] = PerTransaction(
    "catalog: products changed in this transaction"
)


def _announce(product_id: int) -> None:
    product_changed.send(sender=Product, product_id=product_id)


def product_saving(sender: type, instance: Product, raw: bool = False, **kwargs: Any) -> None:
    """Bump the version in the product's own UPDATE: no extra statement on a save.

    Two editors saving the same product at once may both write the same version; that
    is harmless, because the stale mark, not the version, is what forces a recompute.
    """
    if raw or instance._state.adding:
        return
    if changed_products.add(instance.pk):
        instance.version += 1
        # A note on this instance only, not a model attribute: product_saved pops it.
        instance.__dict__["_catalog_first_change"] = True


def product_saved(
    sender: type, instance: Product, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if raw:  # loaddata: fixtures carry their own state
        return
    first = (
        changed_products.add(instance.pk)
        if created
        else instance.__dict__.pop("_catalog_first_change", False)
    )
    if first:
        _announce(instance.pk)


def _variant_changed(product_id: int) -> None:
    from catalog.services import product_versions_bump

    if changed_products.add(product_id):
        product_versions_bump(product_ids=[product_id])
        _announce(product_id)


def variant_saved(sender: type, instance: Variant, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _variant_changed(instance.product_id)


def variant_deleted(sender: type, instance: Variant, origin: Any = None, **kwargs: Any) -> None:
    deleting_product = isinstance(origin, Product) or (
        isinstance(origin, QuerySet) and origin.model is Product
    )
    if not deleting_product:  # a product going takes its variants: no version to bump
        _variant_changed(instance.product_id)


def products_bulk_saved(*, product_ids: Iterable[int], created: bool) -> None:
    """Count a bulk write (an import) as one save of each product, as ``save()`` would.

    Called by the writer itself (a bulk write sends no ``post_save``), after the rows are
    written: products not yet changed in this transaction get their version bumped (not
    ``created`` ones: a new product starts at 1) and one ``products_changed`` notice.
    """
    from catalog.services import product_versions_bump

    first = [pid for pid in product_ids if changed_products.add(pid)]
    if not first:
        return
    if not created:
        product_versions_bump(product_ids=first)
    products_changed.send(sender=Product, product_ids=first)


def category_saving(sender: type, instance: Category, raw: bool = False, **kwargs: Any) -> None:
    """Count every change of a category, in its own UPDATE (no extra statement).

    The category change form compares it with the version it was loaded from.
    """
    if not raw and not instance._state.adding:
        instance.version += 1
