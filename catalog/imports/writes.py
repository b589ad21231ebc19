"""The import's bulk writes, one chunk of products at a time, inside its transaction.

New rows (products, variants) go in through one ``executemany`` of a plain INSERT per
table and chunk: Django's ``bulk_create`` compiles each value of each row through its
field (about 30 us a value), which made it most of an import's time; the driver sends the
same rows as multi-row INSERTs. Values are prepared as the fields would
(``get_db_prep_save``) for the few types the catalog has. Changed rows, far fewer in a
large import, go through ``bulk_update``.

Each write records what a ``save()`` would have recorded in the history (the importing
user, the file's name as the change reason) and ends with ``products_bulk_saved``, the
catalog's "these products were saved" step. The import's history records are copied by
the database from the rows just written (``history_rows_copy``: one INSERT ... SELECT per
table and chunk), not sent a second time from Python: escaping every value for the
driver was the largest cost of an import of new products (bench/README.md, "at scale").
"""

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
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
_HISTORY_EXTRA = ("history_date", "history_change_reason", "history_type", "history_user_id")
#: A new product's columns, and a new variant's after its product's id.
_NEW_PRODUCT = [*_PRODUCT_FIELDS, "sku", "version", "created_at", "updated_at"]
_NEW_VARIANT = ["sku", *_VARIANT_FIELDS]
_product_values = attrgetter(*_PRODUCT_FIELDS, "sku")
_variant_values = attrgetter(*_NEW_VARIANT)


def rows_insert(model: type[Model], attnames: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT ``rows`` (values in ``attnames`` order) in one ``executemany``."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [cast(Field, model._meta.get_field(name)) for name in attnames]
    dates = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
    if dates:
        # A chunk's rows share one or two datetimes: each is adapted once.
        adapted: dict[Any, Any] = {}
        adapt = connection.ops.adapt_datetimefield_value

        def once(value: Any) -> Any:
            if value not in adapted:
                adapted[value] = adapt(value)
            return adapted[value]

        rows = [tuple(once(v) if i in dates else v for i, v in enumerate(row)) for row in rows]
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
    user_id = None if user is None else user.pk
    rows = [
        (*(getattr(obj, name) for name in tracked), when, reason, kind, user_id) for obj in objs
    ]
    rows_insert(history, [*tracked, *_HISTORY_EXTRA], rows)


def history_rows_copy(
    model: type[Product] | type[Variant],
    ids: Sequence[int],
    *,
    kind: str,
    user: AbstractBaseUser | None,
    reason: str,
    when: datetime,
    by: str = "id",
) -> None:
    """The records ``history_rows_insert`` writes, for rows already in the table, copied
    by the database (one INSERT ... SELECT): rows whose ``by`` column ("id", or
    "product_id" for a new product's variants) is in ``ids``, in the order of their ids.

    Registry: config.upstream "django-simple-history record rows"."""
    if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    connection = connections[router.db_for_write(history)]
    quote = connection.ops.quote_name
    tracked = list(history.tracked_fields)
    target = [
        *(history._meta.get_field(f.attname).column for f in tracked),
        *(history._meta.get_field(name).column for name in _HISTORY_EXTRA),
    ]
    source = ", ".join(quote(f.column) for f in tracked)
    selected = cast(Field, model._meta.get_field(by)).column
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, target))}) "
        f"SELECT {source}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(selected)} IN ({', '.join(['%s'] * len(ids))}) "
        f"ORDER BY {quote(model._meta.pk.column)}"
    )
    date = connection.ops.adapt_datetimefield_value(when)
    with connection.cursor() as cursor:
        cursor.execute(sql, [date, reason, kind, None if user is None else user.pk, *ids])


def ids_by_sku(model: type[Product] | type[Variant], skus: Sequence[str]) -> dict[str, int]:
    """SKU -> id of the rows with these SKUs (one plain query: the chunk's new rows)."""
    if not skus:
        return {}
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote('sku')}, {quote(model._meta.pk.column)} "
        f"FROM {quote(model._meta.db_table)} WHERE {quote('sku')} IN "
        f"({', '.join(['%s'] * len(skus))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(skus))
        return dict(cursor.fetchall())


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
    columns = ["product_id", *_NEW_VARIANT]
    rows_insert(Variant, columns, [tuple(getattr(v, c) for c in columns) for v in variants])
    ids = ids_by_sku(Variant, [v.sku for v in variants])
    for variant in variants:
        variant.pk = ids[variant.sku]


def write_new_products(
    specs: list[ProductSpec], *, user: AbstractBaseUser | None, reason: str, when: datetime
) -> None:
    """Insert new products with their variants and history, from the specs' values as
    they are (no model instance: the rows are the specs' tuples)."""
    version = Product._meta.get_field("version").get_default()
    rows_insert(Product, _NEW_PRODUCT, [(*_product_values(s), version, when, when) for s in specs])
    by_sku = ids_by_sku(Product, [spec.sku for spec in specs])
    product_ids = [by_sku[spec.sku] for spec in specs]
    history_rows_copy(Product, product_ids, kind="+", user=user, reason=reason, when=when)
    rows_insert(
        Variant,
        ["product_id", *_NEW_VARIANT],
        [
            (product_id, *_variant_values(v))
            for spec, product_id in zip(specs, product_ids, strict=True)
            for v in spec.variants
        ],
    )
    # Every variant of a new product is new: its records are selected by their product.
    history_rows_copy(
        Variant, product_ids, by="product_id", kind="+", user=user, reason=reason, when=when
    )
    products_bulk_saved(product_ids=product_ids, created=True)


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
    changed_products = [u.product_id for u in updates if u.product_changed]
    history_rows_copy(Product, changed_products, kind="~", user=user, reason=reason, when=when)
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
    history_rows_copy(
        Variant, [v.pk for v in changed], kind="~", user=user, reason=reason, when=when
    )
    _insert_variants(added)
    history_rows_copy(Variant, [v.pk for v in added], kind="+", user=user, reason=reason, when=when)
    products_bulk_saved(product_ids=[u.product_id for u in updates], created=False)
    # Rare (a variant left out of the file): one delete each, so the history records the
    # deletion with the user and reason (simple_history reads them from the instance).
    removed = Variant.objects.filter(pk__in=[pk for u in updates for pk in u.removed_variant_ids])
    for variant in removed:
        # Registry: config.upstream "django-simple-history record attributes".
        variant._history_user = user  # type: ignore[attr-defined]
        variant._change_reason = reason  # type: ignore[attr-defined]
        variant.delete()
