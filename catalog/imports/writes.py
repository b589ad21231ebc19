"""The import's bulk writes, one chunk of products at a time, inside its transaction.

Each write goes with its history records (``bulk_history_create``: the rows a ``save()``
would have recorded, with the importing user and the file's name) and ends with
``products_bulk_saved``, the catalog's "these products were saved" step.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from catalog.imports.plan import Update
from catalog.imports.rows import ProductSpec, VariantSpec
from catalog.models import Product, Variant
from catalog.receivers import products_bulk_saved

_PRODUCT_FIELDS = ["name", "slug", "status", "category_id", "description"]
_VARIANT_FIELDS = ["size", "colour", "price", "currency", "stock"]


def _history(
    model: type[Product] | type[Variant],
    objs: list[Product] | list[Variant],
    *,
    update: bool,
    user: AbstractBaseUser | None,
    reason: str,
    when: datetime,
) -> None:
    if objs:
        model.history.bulk_history_create(
            objs,
            update=update,
            default_user=user,
            default_change_reason=reason,
            default_date=when,
        )


def _variant(spec: VariantSpec, product_id: int) -> Variant:
    return Variant(
        product_id=product_id,
        sku=spec.sku,
        size=spec.size,
        colour=spec.colour,
        price=spec.price,
        currency=spec.currency,
        stock=spec.stock,
    )


def write_new_products(
    specs: list[ProductSpec], *, user: AbstractBaseUser | None, reason: str, when: datetime
) -> None:
    products = Product.objects.bulk_create(
        [
            Product(
                sku=spec.sku,
                name=spec.name,
                slug=spec.slug,
                status=spec.status,
                category_id=spec.category_id,
                description=spec.description,
            )
            for spec in specs
        ]
    )
    if any(p.pk is None for p in products):  # a backend that returns no ids from an INSERT
        ids = dict(
            Product.objects.filter(sku__in=[p.sku for p in products]).values_list("sku", "id")
        )
        for product in products:
            product.pk = ids[product.sku]
    _history(Product, products, update=False, user=user, reason=reason, when=when)
    variants = Variant.objects.bulk_create(
        [
            _variant(v, product.pk)
            for spec, product in zip(specs, products, strict=True)
            for v in spec.variants
        ]
    )
    if any(v.pk is None for v in variants):
        ids = dict(
            Variant.objects.filter(sku__in=[v.sku for v in variants]).values_list("sku", "id")
        )
        for variant in variants:
            variant.pk = ids[variant.sku]
    _history(Variant, variants, update=False, user=user, reason=reason, when=when)
    products_bulk_saved(product_ids=[p.pk for p in products], created=True)


def write_updates(
    updates: list[Update], *, user: AbstractBaseUser | None, reason: str, when: datetime
) -> None:
    products = Product.objects.in_bulk([u.product_id for u in updates])
    for update in updates:
        product = products[update.product_id]
        for name in _PRODUCT_FIELDS:
            setattr(product, name, getattr(update.spec, name))
        product.updated_at = when
    Product.objects.bulk_update(list(products.values()), [*_PRODUCT_FIELDS, "updated_at"])
    _history(
        Product,
        [products[u.product_id] for u in updates if u.product_changed],
        update=True,
        user=user,
        reason=reason,
        when=when,
    )
    existing = Variant.objects.in_bulk(
        [
            u.variant_ids[v.sku]
            for u in updates
            for v in u.changed_variants
            if v.sku in u.variant_ids
        ]
    )
    changed: list[Variant] = []
    added: list[Variant] = []
    for update in updates:
        for spec in update.changed_variants:
            variant_id = update.variant_ids.get(spec.sku)
            if variant_id is None:
                added.append(_variant(spec, update.product_id))
                continue
            variant = existing[variant_id]
            for name in _VARIANT_FIELDS:
                setattr(variant, name, getattr(spec, name))
            changed.append(variant)
    Variant.objects.bulk_update(changed, _VARIANT_FIELDS)
    _history(Variant, changed, update=True, user=user, reason=reason, when=when)
    added = Variant.objects.bulk_create(added)
    if any(v.pk is None for v in added):
        ids = dict(Variant.objects.filter(sku__in=[v.sku for v in added]).values_list("sku", "id"))
        for variant in added:
            variant.pk = ids[variant.sku]
    _history(Variant, added, update=False, user=user, reason=reason, when=when)
    products_bulk_saved(product_ids=[u.product_id for u in updates], created=False)
    # Rare (a variant left out of the file): one delete each, so the history records the
    # deletion with the user and reason (simple_history reads them from the instance).
    removed = Variant.objects.filter(pk__in=[pk for u in updates for pk in u.removed_variant_ids])
    for variant in removed:
        variant._history_user = user  # type: ignore[attr-defined]
        variant._change_reason = reason  # type: ignore[attr-defined]
        variant.delete()
