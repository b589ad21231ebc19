"""Raw SQL helpers for the recompute's hot statements (MariaDB, SQLite, PostgreSQL).

A batch runs a handful of statements per 100 saves; building them with the ORM cost more
than the database spent answering them (bench/README.md), so the recompute writes SQL.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connections, router
from django.db.models import Model

CENT = Decimal("0.01")


def table(model: type[Model]) -> str:
    return connections[router.db_for_write(model)].ops.quote_name(model._meta.db_table)


def placeholders(values: Iterable[Any]) -> str:
    return ", ".join("%s" for _ in values)


def upsert_rows(
    model: type[Model], columns: list[str], rows: list[tuple], *, key: str, update: list[str]
) -> None:
    """INSERT ... ON DUPLICATE KEY UPDATE (MariaDB) / ON CONFLICT DO UPDATE (SQLite).

    Values must already be in the database's form (see ``db_datetime``). One statement
    unless the backend caps the number of parameters (Django's SQLite limit), as
    ``bulk_create`` does.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor == "mysql":
        conflict = "ON DUPLICATE KEY UPDATE " + ", ".join(f"{c} = VALUES({c})" for c in update)
    else:
        conflict = f"ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(
            f"{c} = excluded.{c}" for c in update
        )
    row_sql = f"({placeholders(columns)})"
    per_statement = len(rows)
    if connection.features.max_query_params:
        per_statement = max(1, connection.features.max_query_params // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table(model)} ({', '.join(columns)}) "
                f"VALUES {', '.join([row_sql] * len(part))} {conflict}",
                [value for row in part for value in row],
            )


def select_locked(cursor: Any, model: type[Model], columns: str, ids: list[int]) -> list[tuple]:
    """``columns`` of the rows whose ``product_id`` is in ``ids``, locked (``SELECT ... FOR
    UPDATE``, id order, so concurrent lockers queue instead of deadlocking) where the
    database can."""
    connection = connections[router.db_for_write(model)]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(
        f"SELECT {columns} FROM {table(model)} "
        f"WHERE product_id IN ({placeholders(ids)}) ORDER BY product_id{lock}",
        ids,
    )
    return cursor.fetchall()


def add_per_product(
    cursor: Any, model: type[Model], column: str, sign: str, amounts: dict[int, int]
) -> None:
    """``column = column +/- amount`` per product, in one UPDATE for the whole chunk."""
    branches = " ".join("WHEN %s THEN %s" for _ in amounts)
    params = [value for pair in amounts.items() for value in pair]
    cursor.execute(
        f"UPDATE {table(model)} SET {column} = {column} {sign} "
        f"CASE product_id {branches} ELSE 0 END "
        f"WHERE product_id IN ({placeholders(amounts)})",
        params + list(amounts),
    )


def db_datetime(value: datetime, model: type[Model]) -> Any:
    connection = connections[router.db_for_write(model)]
    return connection.ops.adapt_datetimefield_value(value)


def db_decimal(value: Any) -> Decimal | None:
    """A money figure from raw SQL: MariaDB gives Decimal, SQLite a float (cents exact)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(CENT)


def table_rows_estimate(model: type[Model]) -> int | None:
    """The database's estimate of a table's rows, without reading them (None: unknown).

    MariaDB/MySQL keep one in ``information_schema.TABLES`` (InnoDB samples pages, so it
    can be off by some percent); SQLite has none.
    """
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "mysql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_ROWS FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None
