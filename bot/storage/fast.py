"""Statements sent straight to the DB-API driver, for the two writes every answer makes.

SQLAlchemy's text() costs about 70 µs per execution here against 15 µs for
exec_driver_sql (measured with bench/answers.py); at thousands of answers a second
that is the difference. Written with :name parameters and translated once per
dialect: pysqlite takes :name as is, psycopg wants %(name)s."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection

__all__ = ["DriverStatement"]

_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_VALUES = re.compile(r"\bVALUES\s*\(")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class DriverStatement:
    def __init__(self, sql: str) -> None:
        self._sql = sql
        self._pyformat = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))

    def rows(self, conn: Connection, params: dict[str, Any]) -> list[tuple]:
        """Run a query; its rows."""
        sql = self._pyformat if conn.dialect.paramstyle in ("pyformat", "format") else self._sql
        values = _sqlite_values(params) if conn.dialect.name == "sqlite" else params
        return list(conn.exec_driver_sql(sql, values))

    def execute(self, conn: Connection, params: dict[str, Any] | list[dict[str, Any]]) -> int:
        """Run with `params` (a list runs it once per row); the number of rows changed."""
        if conn.dialect.name == "sqlite":
            rows = [_sqlite_values(p) for p in params] if isinstance(params, list) else _sqlite_values(params)
            return conn.exec_driver_sql(self._sql, rows).rowcount
        sql = self._pyformat if conn.dialect.paramstyle in ("pyformat", "format") else self._sql
        return conn.exec_driver_sql(sql, params).rowcount


    def insert_rows(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """An INSERT … VALUES (…) for many rows: on PostgreSQL one statement whose every column is an array
        (`unnest`): one round trip and the same text each time, so the server plans it once (executemany, even
        pipelined, cost ~50 µs a row on a busy machine, a VALUES list as long as the batch more). On SQLite, where
        a statement is a function call, executemany."""
        if conn.dialect.name == "sqlite" or len(rows) < 2:
            self.execute(conn, rows)
            return
        columns = {name: [row[name] for row in rows] for name in rows[0]}
        kinds = tuple((name, _array_type(values)) for name, values in columns.items())
        conn.exec_driver_sql(_unnested(self._pyformat, kinds), columns)


def _array_type(values: list[Any]) -> str:
    """The PostgreSQL array type of a column's values (a Python str alone would reach the server untyped)."""
    kind = next((type(value) for value in values if value is not None), str)
    return _ARRAY_TYPES.get(kind, "text[]")


_ARRAY_TYPES: dict[type, str] = {bool: "boolean[]", int: "bigint[]", float: "float8[]", str: "text[]",
                                 datetime: "timestamp[]"}


@lru_cache(maxsize=16)
def _unnested(sql: str, kinds: tuple[tuple[str, str], ...]) -> str:
    """`sql` (pyformat, INSERT … VALUES (%(a)s, …)) as INSERT … SELECT * FROM unnest(%(a)s::type[], …): each
    parameter an array of the rows' values."""
    found = _VALUES.search(sql)
    assert found is not None, "not an INSERT … VALUES (…)"
    start = end = found.start()
    depth = 0
    for end in range(found.end() - 1, len(sql)):  # the parenthesis that closes the row (placeholders hold some)
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            break
    arrays = ", ".join(f"%({name})s::{kind}" for name, kind in kinds)
    assert _PLACEHOLDER.findall(sql[found.end():end]) == [name for name, _ in kinds], "VALUES are the row's keys"
    return f"{sql[:start]}SELECT * FROM unnest({arrays}){sql[end + 1:]}"


def _sqlite_values(params: dict[str, Any]) -> dict[str, Any]:
    # SQLAlchemy's own storage format for SQLite DATETIME, so ORM reads parse these values
    return {k: v.isoformat(" ", "microseconds") if isinstance(v, datetime) else v for k, v in params.items()}
