"""The points ledger is append-only in the database itself, not only by convention: an UPDATE or DELETE of one of
its rows is refused by a trigger, so no code path, script or hand-typed SQL can rewrite a member's 党建积分 history.
A correction is a new entry (reverse_points), with who and why. Made by revision 0001; creating it twice is
harmless. A later revision that rebuilds points_ledger on SQLite (batch mode copies the table) loses the triggers
with the old table and must call guard_ledger again."""

from __future__ import annotations

from sqlalchemy.engine import Connection

__all__ = ["guard_ledger", "LEDGER_REFUSAL"]

LEDGER_REFUSAL = "points_ledger is append-only"

_SQLITE = [f"""CREATE TRIGGER IF NOT EXISTS points_ledger_no_{verb.lower()} BEFORE {verb} ON points_ledger
BEGIN SELECT RAISE(ABORT, '{LEDGER_REFUSAL}: write a new entry instead'); END""" for verb in ("UPDATE", "DELETE")]

_POSTGRES = [f"""CREATE OR REPLACE FUNCTION points_ledger_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '{LEDGER_REFUSAL}: write a new entry instead'; END $$ LANGUAGE plpgsql""",
             "DROP TRIGGER IF EXISTS points_ledger_append_only ON points_ledger",
             """CREATE TRIGGER points_ledger_append_only BEFORE UPDATE OR DELETE ON points_ledger
FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only()"""]


def guard_ledger(conn: Connection) -> None:
    for statement in {"sqlite": _SQLITE, "postgresql": _POSTGRES}.get(conn.dialect.name, []):
        conn.exec_driver_sql(statement)
