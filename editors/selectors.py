"""Reads over the edit history: who changed a product last, and what each editor did.

A product is changed by saving it (its own history) or one of its variants (the
variants' history, which carries ``product_id``), so both reads look at both tables.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Case, F, IntegerField, Max, QuerySet, Value, When
from django.db.models.functions import TruncDate

from catalog.models import Product, Variant

#: History types that are saves (creation and change), as opposed to deletions.
_SAVE_TYPES = ["+", "~"]


@dataclass(frozen=True)
class LastEditor:
    user_id: int | None
    #: None when the change came from code (no request, so no user) or the user is gone.
    username: str | None
    changed_at: datetime


@dataclass(frozen=True)
class EditorDay:
    user_id: int | None
    username: str | None
    day: date
    #: Product history records (each save of the product page writes exactly one).
    product_saves: int
    #: Variant history records: saves in the Variants admin, inline rows, deletions.
    variant_changes: int
    #: Distinct products saved directly or through one of their variants.
    products_touched: int


def product_last_editors(*, product_id: int, limit: int = 3) -> list[LastEditor]:
    """The last ``limit`` distinct users who changed the product, latest first.

    One query whatever the history's length: each table is grouped by user in the
    database (a product has a handful of editors, not thousands of rows), the two
    groupings come back as one UNION ALL, and the per-user latest date is merged here.
    """
    product_rows = (
        Product.history.filter(id=product_id)
        .order_by()
        .values("history_user_id", "history_user__username")
        .annotate(changed_at=Max("history_date"))
    )
    variant_rows = (
        Variant.history.filter(product_id=product_id)
        .order_by()
        .values("history_user_id", "history_user__username")
        .annotate(changed_at=Max("history_date"))
    )
    latest: dict[int | None, LastEditor] = {}
    for row in product_rows.union(variant_rows, all=True):
        user_id = row["history_user_id"]
        known = latest.get(user_id)
        if known is None or row["changed_at"] > known.changed_at:
            latest[user_id] = LastEditor(
                user_id=user_id,
                username=row["history_user__username"],
                changed_at=row["changed_at"],
            )
    return sorted(latest.values(), key=lambda e: e.changed_at, reverse=True)[:limit]


def _touches(
    history: QuerySet, *, product: str, product_save: Case | Value, variant_change: Value
) -> QuerySet:
    """One row per historical record: who, which day, which product, and what it counts as."""
    return history.order_by().values(
        editor=F("history_user_id"),
        editor_name=F("history_user__username"),
        touch_day=TruncDate("history_date"),
        touched_product=F(product),
        is_product_save=product_save,
        is_variant_change=variant_change,
    )


def editor_activity(*, since: datetime) -> list[EditorDay]:
    """Per editor and day (in ``TIME_ZONE``) since ``since``: saves and products touched.

    One query whatever the number of editors, days or records. "Products touched" must
    count a product once whether it was saved directly, through a variant, or both, so
    it is a COUNT(DISTINCT) over the UNION ALL of both histories; the ORM cannot
    aggregate over a UNION, so the ORM-built UNION is wrapped in one GROUP BY here.
    Folded records (``history_fold``) count once: this counts edits, not clicks.
    """
    products = _touches(
        Product.history.filter(history_date__gte=since),
        product="id",
        product_save=Case(
            When(history_type__in=_SAVE_TYPES, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        variant_change=Value(0, output_field=IntegerField()),
    )
    variants = _touches(
        Variant.history.filter(history_date__gte=since),
        product="product_id",
        product_save=Value(0, output_field=IntegerField()),
        variant_change=Value(1, output_field=IntegerField()),
    )
    union_sql, params = products.union(variants, all=True).query.sql_with_params()
    q = connection.ops.quote_name
    editor, name, day, product = q("editor"), q("editor_name"), q("touch_day"), q("touched_product")
    sql = (
        f"SELECT {editor}, {name}, {day}, SUM({q('is_product_save')}), "
        f"SUM({q('is_variant_change')}), COUNT(DISTINCT {product}) "
        f"FROM ({union_sql}) {q('touches')} "
        f"GROUP BY {editor}, {name}, {day} ORDER BY {day} DESC, {name}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        EditorDay(
            user_id=user_id,
            username=username,
            # SQLite returns the truncated date as text, MariaDB as a date.
            day=touch_day if isinstance(touch_day, date) else date.fromisoformat(touch_day),
            product_saves=int(product_saves),
            variant_changes=int(variant_changes),
            products_touched=int(products_touched),
        )
        for user_id, username, touch_day, product_saves, variant_changes, products_touched in rows
    ]
