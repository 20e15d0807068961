"""Schema 6 (issue 15): a version-5 database gains the members' 党员类别/支部职务/党小组, attendance statuses and the
tables of expected attendees, attendance changes and minutes, in place, keeping its rows."""

from __future__ import annotations

from pathlib import Path

from before_alembic import forget_alembic
from sqlalchemy import inspect, text

from bot.storage.db import Database


def test_a_version_5_database_is_upgraded_in_place(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/old.db")
    db.create_schema()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_member_roster_facts")  # made at every start since; not in version 5
        for table in ("meeting_expected", "attendance_change", "meeting_minutes", "minutes_draft"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
        for table, column in (("member", "category"), ("member", "position"), ("member", "party_group"),
                              ("meeting", "party_group"), ("attendance", "status"), ("attendance", "reason"),
                              ("attendance", "recorded_by")):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.exec_driver_sql("INSERT INTO branch (name) VALUES ('第一党支部')")
        conn.exec_driver_sql("INSERT INTO member (name, branch_id, role, created_at, rostered) "
                             "VALUES ('张三', 1, 'secretary', '2026-03-01 09:00:00', 1)")
        conn.exec_driver_sql("UPDATE schema_version SET version = 5")
        forget_alembic(conn)  # made before Alembic
    db.create_schema()
    assert db.schema().up_to_date
    inspector = inspect(db.engine)
    assert {"category", "position", "party_group"} <= {c["name"] for c in inspector.get_columns("member")}
    assert {"status", "reason", "recorded_by"} <= {c["name"] for c in inspector.get_columns("attendance")}
    assert {"meeting_expected", "attendance_change", "meeting_minutes", "minutes_draft"} <= set(
        inspector.get_table_names())
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT name, role, category, position FROM member")).all() == [
            ("张三", "secretary", "", "")]
    db.dispose()
