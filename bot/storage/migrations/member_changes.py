"""The member table's changes counted in the database (change_count's 'member' row), for what is remembered until
the roster changes (bot/storage/roster_cache.py). Triggers, not the application, count, so a write from any process
or code path is seen: a roster import, a role set in chat, a member made on their first message, an operator's SQL.
Made by revision 0002; making it twice is harmless. A later revision that rebuilds the member table on SQLite (batch
mode copies the table) loses the triggers with the old table and must call count_member_changes again."""

from __future__ import annotations

from sqlalchemy.engine import Connection

__all__ = ["count_member_changes", "stop_counting_member_changes"]

# any UPDATE counts, not only of some columns: every column of member but created_at is the roster's, and on
# PostgreSQL a trigger naming columns would stop a later revision from altering their type
_BUMP = "UPDATE change_count SET n = n + 1 WHERE name = 'member'"

# SQLite has row triggers only: one UPDATE of a row the page cache holds, per member written
_SQLITE = [f"CREATE TRIGGER IF NOT EXISTS member_changes_{event.split()[0].lower()} AFTER {event} ON member "
           f"BEGIN {_BUMP}; END" for event in ("INSERT", "DELETE", "UPDATE")]

# once per statement, not per row: a roster import of 100,000 rows moves the count once
_POSTGRES = [f"CREATE OR REPLACE FUNCTION count_member_changes() RETURNS trigger LANGUAGE plpgsql AS $$ "
             f"BEGIN {_BUMP}; RETURN NULL; END $$",
             "DROP TRIGGER IF EXISTS member_changes ON member",
             "CREATE TRIGGER member_changes AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE "
             "ON member FOR EACH STATEMENT EXECUTE FUNCTION count_member_changes()"]


def count_member_changes(conn: Connection) -> None:
    for statement in {"sqlite": _SQLITE, "postgresql": _POSTGRES}.get(conn.dialect.name, []):
        conn.exec_driver_sql(statement)


def stop_counting_member_changes(conn: Connection) -> None:
    """The triggers gone (0002's downgrade; a test making a database as it was before 0002)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS member_changes ON member")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS count_member_changes()")
        return
    for event in ("insert", "delete", "update"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS member_changes_{event}")
