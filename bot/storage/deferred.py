"""Rows of the hot path's INSERTs kept back while a batch of messages is handled, and written together, one
executemany per statement, just before the batch commits (Dispatcher.handle_many).

On PostgreSQL each statement is a round trip to the server (about 0.2-0.3 ms on loopback), which made an answer's
own INSERT cost more than handling it; a few hundred rows in one executemany (pipelined by psycopg) cost a few
microseconds each. Only INSERTs whose rows nobody reads back within the batch are deferred; code that reads the
table inside a transaction writes what is pending first (`write`), so it sees every row."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.storage.fast import DriverStatement

__all__ = ["defer_writes", "deferred", "write"]

_KEY = "deferred_rows"


def defer_writes(session: Session) -> None:
    """From now on, `deferred` keeps this session's rows back until `write`."""
    session.info[_KEY] = {}


def deferred(session: Session, statement: DriverStatement, params: dict[str, Any]) -> bool:
    """Keep `params` for `statement` if this session defers writes; False when the caller must execute it now."""
    pending: dict[DriverStatement, list[dict[str, Any]]] | None = session.info.get(_KEY)
    if pending is None:
        return False
    pending.setdefault(statement, []).append(params)
    return True


def write(session: Session) -> None:
    """Execute every row kept back, in the order the statements were first deferred."""
    pending: dict[DriverStatement, list[dict[str, Any]]] | None = session.info.get(_KEY)
    if not pending:
        return
    conn = session.connection()
    for statement, rows in list(pending.items()):
        statement.insert_rows(conn, rows)
    pending.clear()
