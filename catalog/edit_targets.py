"""What the concurrency check reads for each editable model: its version, under a row
lock, its current state, and who saved it since.

Versions: a product counts its own version (``Product.version``, bumped once per
transaction by ``catalog.receivers`` for any change of the product or its variants); a
category its own (``Category.version``); a variant uses its product's, since every
variant change bumps it. ``lock`` reads the version with SELECT ... FOR UPDATE in the
save's transaction, so of two saves posted at once the second waits for the first to
commit and then sees its version: both cannot pass the check against the same state.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

from catalog.concurrency import EditState, Values, value_text
from catalog.models import Category, Product, Variant
from catalog.selectors import product_last_editors
from catalog.services import category_tree_lock


@dataclass(frozen=True)
class Save:
    """One save by someone: who (None when no user was recorded) and when."""

    username: str | None
    at: datetime


def _values(obj: models.Model, names: Iterable[str]) -> Values:
    values: Values = {}
    for name in names:
        model_field = obj._meta.get_field(name)
        assert isinstance(model_field, models.Field)  # form fields are concrete fields
        values[name] = value_text(model_field, getattr(obj, model_field.attname))
    return values


def _latest_per_user(rows: Iterable[tuple[str | None, datetime]]) -> list[Save]:
    latest: dict[str | None, datetime] = {}
    for username, at in rows:
        if username not in latest or at > latest[username]:
            latest[username] = at
    return sorted((Save(u, at) for u, at in latest.items()), key=lambda s: s.at, reverse=True)


def _history(model: type[models.Model], since: datetime | None, **filters: Any) -> list:
    records = model.history.filter(**filters)  # type: ignore[attr-defined]
    if since is not None:
        records = records.filter(history_date__gt=since)
    return list(
        records.order_by("-history_date").values_list("history_user__username", "history_date")[:20]
    )


class EditTarget:
    """The reads for one model; subclasses below. ``inline_fields`` are the inline rows'
    fields (the product's variants), empty for a form without inline rows."""

    model: type[models.Model]

    def lock(self, *, object_id: str) -> int | None:
        raise NotImplementedError

    def version(self, *, obj: Any) -> int:
        raise NotImplementedError

    def state(self, *, obj: Any, fields: Sequence[str], inline_fields: Sequence[str]) -> EditState:
        return EditState(fields=_values(obj, fields))

    def saves_since(self, *, obj: Any, since: datetime | None) -> list[Save]:
        raise NotImplementedError


class ProductTarget(EditTarget):
    model = Product

    def lock(self, *, object_id: str) -> int | None:
        return (
            Product.objects.select_for_update()
            .filter(pk=object_id)
            .values_list("version", flat=True)
            .first()
        )

    def version(self, *, obj: Product) -> int:
        return obj.version

    def state(
        self, *, obj: Product, fields: Sequence[str], inline_fields: Sequence[str]
    ) -> EditState:
        rows = {
            str(variant.pk): _values(variant, inline_fields)
            for variant in Variant.objects.filter(product=obj).order_by("sku")
        }
        return EditState(fields=_values(obj, fields), rows=rows if inline_fields else {})

    def saves_since(self, *, obj: Product, since: datetime | None) -> list[Save]:
        editors = product_last_editors(product_id=obj.pk, since=since, limit=20)
        return [Save(editor.username, editor.changed_at) for editor in editors]


class VariantTarget(EditTarget):
    model = Variant

    def lock(self, *, object_id: str) -> int | None:
        # The product's row: every variant change bumps its version, and the product's
        # form locks the same row, so a variant form and a product form serialise too.
        # Two statements, not one join: a locking join would also lock the variant's row,
        # possibly before the product's, while a product save holds the product and then
        # updates its variants: a deadlock.
        product_id = (
            Variant.objects.filter(pk=object_id).values_list("product_id", flat=True).first()
        )
        return None if product_id is None else ProductTarget().lock(object_id=str(product_id))

    def version(self, *, obj: Variant) -> int:
        return Product.objects.filter(pk=obj.product_id).values_list("version", flat=True)[0]

    def saves_since(self, *, obj: Variant, since: datetime | None) -> list[Save]:
        return _latest_per_user(_history(Variant, since, id=obj.pk))


class CategoryTarget(EditTarget):
    model = Category

    def lock(self, *, object_id: str) -> int | None:
        # The tree lock first, as every category save with a parent takes it before its
        # locking walk of the tree: one order for all, so no two saves wait on each other.
        category_tree_lock()
        return (
            Category.objects.select_for_update()
            .filter(pk=object_id)
            .values_list("version", flat=True)
            .first()
        )

    def version(self, *, obj: Category) -> int:
        return obj.version

    def saves_since(self, *, obj: Category, since: datetime | None) -> list[Save]:
        # Categories keep no edit history: the admin's own log says who saved them.
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Category),
            object_id=str(obj.pk),
            action_flag=CHANGE,
        )
        if since is not None:
            entries = entries.filter(action_time__gt=since)
        return _latest_per_user(
            entries.order_by("-action_time").values_list("user__username", "action_time")[:20]
        )
