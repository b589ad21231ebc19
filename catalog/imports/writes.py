"""The import's bulk writes, one chunk of products at a time, inside its transaction.

New rows (products, variants, and every history record) go in through one
``executemany`` of a plain INSERT per table and chunk: Django's ``bulk_create`` compiles
each value of each row through its field (about 30 us a value), which made it most of an
import's time; the driver sends the same rows as multi-row INSERTs. Values are prepared
as the fields would (``get_db_prep_save``) for the few types the catalog has. Changed
rows, far fewer in a large import, go through ``bulk_update``.

Each write records what a ``save()`` would have recorded in the history (the importing
user, the file's name as the change reason) and ends with ``products_bulk_saved``, the
catalog's "these products were saved" step.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connections, router
from django.db.models import Field, Model

from catalog.imports.plan import Update
from catalog.imports.rows import ProductSpec, VariantSpec
from catalog.models import Product, Variant
from catalog.receivers import products_bulk_saved

_PRODUCT_FIELDS = ["name", "slug", "status", "category_id", "description"]
_VARIANT_FIELDS = ["size", "colour", "price", "currency", "stock"]


def rows_insert(model: type[Model], attnames: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT ``rows`` (values in ``attnames`` order) in one ``executemany``."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [cast(Field, model._meta.get_field(name)) for name in attnames]
    dates = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
    if dates:
        adapt = connection.ops.adapt_datetimefield_value
        rows = [tuple(adapt(v) if i in dates else v for i, v in enumerate(row)) for row in rows]
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({values})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def history_rows_insert(
    model: type[Product] | type[Variant],
    objs: Sequence[Product] | Sequence[Variant],
    *,
    kind: str,
    user: AbstractBaseUser | None,
    reason: str,
    when: datetime,
) -> None:
    """History records as django-simple-history writes them on save (``kind``: + ~ -).

    Registry: config.upstream "django-simple-history record rows"."""
    if not objs or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    extra = ("history_date", "history_change_reason", "history_type", "history_user_id")
    user_id = None if user is None else user.pk
    rows = [
        (*(getattr(obj, name) for name in tracked), when, reason, kind, user_id) for obj in objs
    ]
    rows_insert(history, [*tracked, *extra], rows)


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


def _insert_variants(variants: list[Variant]) -> None:
    """Insert new variants and give each its id (read back by SKU: one query)."""
    columns = ["product_id", "sku", "size", "colour", "price", "currency", "stock"]
    rows_insert(Variant, columns, [tuple(getattr(v, c) for c in columns) for v in variants])
    if variants:
        ids = dict(
            Variant.objects.filter(sku__in=[v.sku for v in variants]).values_list("sku", "id")
        )
        for variant in variants:
            variant.pk = ids[variant.sku]


def write_new_products(
    specs: list[ProductSpec], *, user: AbstractBaseUser | None, reason: str, when: datetime
) -> None:
    products = [
        Product(
            sku=spec.sku,
            name=spec.name,
            slug=spec.slug,
            status=spec.status,
            category_id=spec.category_id,
            description=spec.description,
            created_at=when,
            updated_at=when,
        )
        for spec in specs
    ]
    columns = [*_PRODUCT_FIELDS, "sku", "version", "created_at", "updated_at"]
    rows_insert(Product, columns, [tuple(getattr(p, c) for c in columns) for p in products])
    ids = dict(Product.objects.filter(sku__in=[p.sku for p in products]).values_list("sku", "id"))
    for product in products:
        product.pk = ids[product.sku]
    history_rows_insert(Product, products, kind="+", user=user, reason=reason, when=when)
    variants = [
        _variant(v, product.pk)
        for spec, product in zip(specs, products, strict=True)
        for v in spec.variants
    ]
    _insert_variants(variants)
    history_rows_insert(Variant, variants, kind="+", user=user, reason=reason, when=when)
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
    changed_products = [products[u.product_id] for u in updates if u.product_changed]
    history_rows_insert(Product, changed_products, kind="~", user=user, reason=reason, when=when)
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
    history_rows_insert(Variant, changed, kind="~", user=user, reason=reason, when=when)
    _insert_variants(added)
    history_rows_insert(Variant, added, kind="+", user=user, reason=reason, when=when)
    products_bulk_saved(product_ids=[u.product_id for u in updates], created=False)
    # Rare (a variant left out of the file): one delete each, so the history records the
    # deletion with the user and reason (simple_history reads them from the instance).
    removed = Variant.objects.filter(pk__in=[pk for u in updates for pk in u.removed_variant_ids])
    for variant in removed:
        # Registry: config.upstream "django-simple-history record attributes".
        variant._history_user = user  # type: ignore[attr-defined]
        variant._change_reason = reason  # type: ignore[attr-defined]
        variant.delete()
