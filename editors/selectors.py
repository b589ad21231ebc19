"""Reads over the edit history: what each editor did, per day.

A product is changed by saving it (its own history) or one of its variants (the
variants' history, which carries ``product_id``), so the read looks at both tables.
An import's records carry its change reason ("Import of <file>", ``catalog.imports``):
they are counted as imports, apart from the editor's own saves.
(Who changed one product last is the catalog's: ``catalog.selectors``.)
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate

from catalog.models import Product, Variant

#: History types that are saves (creation and change), as opposed to deletions.
_SAVE_TYPES = ["+", "~"]
#: How an import's history records begin their change reason (catalog.imports writes it;
#: tests/editors/test_activity.py holds the two together).
IMPORT_REASON_PREFIX = "Import of "


@dataclass(frozen=True)
class EditorDay:
    user_id: int
    username: str
    day: date
    #: Product history records (each save of the product page writes exactly one).
    product_saves: int
    #: Variant history records: saves in the Variants admin, inline rows, deletions.
    variant_changes: int
    #: Distinct products saved directly or through one of their variants, imports too.
    products_touched: int
    #: Imports confirmed (their records are not in the two counts of saves above).
    imports: int = 0
    #: Distinct products those imports created or changed.
    products_imported: int = 0


def _touches(history: QuerySet, *, product: str, counts_saves: bool) -> QuerySet:
    """One row per historical record: who, which day, which product, and what it counts as.

    ``import_key`` tells one import from another: an import writes all its records with
    one date (to the microsecond), so the date names it (deletions, written one by one,
    are left out of the key but still count toward products touched). A date rather
    than reason and date: MariaDB refuses a text built from both in the UNION (mixed
    collations).
    """
    is_import = Q(history_change_reason__startswith=IMPORT_REASON_PREFIX)
    one, zero = Value(1, output_field=IntegerField()), Value(0, output_field=IntegerField())
    save = Q(history_type__in=_SAVE_TYPES) if counts_saves else Q(pk__in=[])
    return history.order_by().values(
        editor=F("history_user_id"),
        editor_name=F("history_user__username"),
        touch_day=TruncDate("history_date"),
        touched_product=F(product),
        is_product_save=Case(When(save & ~is_import, then=one), default=zero),
        is_variant_change=zero if counts_saves else Case(When(~is_import, then=one), default=zero),
        imported_product=Case(When(is_import, then=F(product)), default=None),
        import_key=Case(
            When(is_import & Q(history_type__in=_SAVE_TYPES), then=F("history_date")),
            default=None,
        ),
    )


def editor_activity(*, since: datetime) -> list[EditorDay]:
    """Per editor and day (in ``TIME_ZONE``) since ``since``: saves and products touched.

    An import's records (its change reason) are counted as imports and products
    imported, not as saves: an import of 2,000 rows is one thing an editor did.

    Editors only: records without a user are changes made by code (the demo seed's
    baseline, commands, migrations) and are nobody's activity; ``make run`` would
    otherwise open on "2,000 saves" that no one made.

    One query whatever the number of editors, days or records. "Products touched" must
    count a product once whether it was saved directly, through a variant, or both, so
    it is a COUNT(DISTINCT) over the UNION ALL of both histories; the ORM cannot
    aggregate over a UNION, so the ORM-built UNION is wrapped in one GROUP BY here.
    Every save has its own record, so this counts saves: five quick saves of one product
    are five product saves (its History page shows them as one burst row). Counting bursts
    would need the grouping per product in Python over every record of the period; saves
    are what the records are, and the page says so.
    """
    products = _touches(
        Product.history.filter(history_date__gte=since, history_user__isnull=False),
        product="id",
        counts_saves=True,
    )
    variants = _touches(
        Variant.history.filter(history_date__gte=since, history_user__isnull=False),
        product="product_id",
        counts_saves=False,
    )
    union_sql, params = products.union(variants, all=True).query.sql_with_params()
    q = connection.ops.quote_name
    editor, name, day, product = q("editor"), q("editor_name"), q("touch_day"), q("touched_product")
    sql = (
        f"SELECT {editor}, {name}, {day}, SUM({q('is_product_save')}), "
        f"SUM({q('is_variant_change')}), COUNT(DISTINCT {product}), "
        f"COUNT(DISTINCT {q('import_key')}), COUNT(DISTINCT {q('imported_product')}) "
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
            imports=int(imports),
            products_imported=int(imported),
        )
        for (
            user_id,
            username,
            touch_day,
            product_saves,
            variant_changes,
            products_touched,
            imports,
            imported,
        ) in rows
    ]
