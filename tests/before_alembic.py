"""A database made by today's code turned into one made before Alembic, for the tests of the old upgrade road: its
alembic_version goes, and with it what the revisions after 0001 made (a database from before Alembic never had
them; 0001 brings it to the first revision, and the later revisions make them)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from bot.storage.migrations.member_changes import stop_counting_member_changes

__all__ = ["forget_alembic"]


def forget_alembic(conn: Connection) -> None:
    conn.exec_driver_sql("DROP TABLE alembic_version")
    stop_counting_member_changes(conn)  # 0002: the member table's change count
    conn.exec_driver_sql("DROP TABLE change_count")
    conn.exec_driver_sql("DROP INDEX ix_outbox_study")  # 0003
    conn.exec_driver_sql("ALTER TABLE outbox DROP COLUMN handed_at")  # 0004
    conn.exec_driver_sql("ALTER TABLE outbox DROP COLUMN link")  # 0005
