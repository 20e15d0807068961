"""Statements sent straight to the DB-API driver, for the two writes every answer makes.

SQLAlchemy's text() costs about 70 µs per execution here against 15 µs for
exec_driver_sql (measured with bench/answers.py); at thousands of answers a second
that is the difference. Written with :name parameters and translated once per
dialect: pysqlite takes :name as is, psycopg wants %(name)s."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

__all__ = ["DriverStatement"]

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


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


def _sqlite_values(params: dict[str, Any]) -> dict[str, Any]:
    # SQLAlchemy's own storage format for SQLite DATETIME, so ORM reads parse these values
    return {k: v.isoformat(" ", "microseconds") if isinstance(v, datetime) else v for k, v in params.items()}
