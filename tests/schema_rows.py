"""Rows in every table of a schema, written and read back generically: what an upgrade must keep. A few rows a
table, each column given a value of its type (Chinese text, times, flags), foreign keys pointing at the rows of
the same number in the table they refer to."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["fill_every_table", "every_row"]

T0 = datetime(2026, 3, 2, 9, 0)


def fill_every_table(conn: Connection, metadata: sa.MetaData, rows: int = 3, skip: tuple[str, ...] = ()) -> None:
    for table in metadata.sorted_tables:
        if table.name not in skip:
            conn.execute(table.insert(), [_row(table, number) for number in range(1, rows + 1)])


def every_row(conn: Connection, metadata: sa.MetaData) -> dict[str, list[dict[str, Any]]]:
    """table name -> its rows (column name -> value), in primary-key order."""
    found = {}
    for table in metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        found[table.name] = [dict(row._mapping) for row in conn.execute(sa.select(table).order_by(*order))]
    return found


def _row(table: sa.Table, number: int) -> dict[str, Any]:
    return {column.name: _value(column, number) for column in table.columns}


def _value(column: sa.Column[Any], number: int) -> Any:
    if column.foreign_keys:
        return number
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.Boolean):
        return number % 2 == 0
    if isinstance(kind, sa.Integer):
        return number if column.primary_key else number * 7
    if isinstance(kind, sa.Float):
        return number + 0.5
    if isinstance(kind, sa.DateTime):
        return T0 + timedelta(hours=number, microseconds=number)
    if isinstance(kind, sa.String):  # Text too
        text = f"第{number}条{column.name}：学习党章"
        return text[: kind.length] if kind.length else text * 3
    raise TypeError(f"no sample value for {column.table.name}.{column.name} ({kind!r})")
