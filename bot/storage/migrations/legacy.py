"""How revision 0001 brings a database made before Alembic up to it: such a database has a schema_version row
(1 to 11, the steps it had taken) and no alembic_version. As studybot did at every start until then: the tables
missing are made (from 0001's frozen tables now, not from the models of the day), then each step from the
database's version to 11 runs. Each step checks what is there, since the tables made first already have the new
columns. Every index of 0001 is then made where missing, which also gives a database the indexes that older
code only added to new tables."""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.storage.migrations.baseline import BASELINE_SCHEMA_VERSION
from bot.storage.migrations.legacy_points import points_categories

__all__ = ["bring_legacy_up", "legacy_version"]

log = logging.getLogger(__name__)


def legacy_version(conn: Connection) -> int | None:
    """The schema_version of a database from before Alembic (a missing row meant version 1); None without the
    table."""
    if not inspect(conn).has_table("schema_version"):
        return None
    version = conn.execute(text("SELECT version FROM schema_version WHERE id = 1")).scalar()
    return 1 if version is None else int(version)


def bring_legacy_up(conn: Connection, metadata: sa.MetaData) -> None:
    version = legacy_version(conn) or 1
    metadata.create_all(conn)
    for step in range(version + 1, BASELINE_SCHEMA_VERSION + 1):
        log.info("upgrading a database from before Alembic: schema_version %d", step)
        if step in _STEPS:
            _STEPS[step](conn)
    for table in metadata.sorted_tables:
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    conn.execute(text("DELETE FROM schema_version"))
    conn.execute(text("INSERT INTO schema_version (id, version) VALUES (1, :version)"),
                 {"version": BASELINE_SCHEMA_VERSION})


def _columns(conn: Connection, table: str) -> set[str]:
    return {column["name"] for column in inspect(conn).get_columns(table)}


def _bank_state(conn: Connection) -> None:
    """2: a stored bank is live, staging (an import writing out of sight) or retired (replaced)."""
    if "state" not in _columns(conn, "bank"):
        conn.exec_driver_sql("ALTER TABLE bank ADD COLUMN state VARCHAR(10) NOT NULL DEFAULT 'live'")


def _outbox_unconfirmed(conn: Connection) -> None:
    """3: the outbox counts the attempts that may have reached the chat unanswered (a push is sent again after at
    most one of them)."""
    if "unconfirmed" not in _columns(conn, "outbox"):
        conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0")


def _contest_kinds(conn: Connection) -> None:
    """4: members put in a branch by a roster (whom a question waits for), practice contests (练习赛, no points) and
    the 全委竞赛's rounds. A member of a database from before is not known to be on a roster until the roster is
    imported again: until then questions close at their deadline, never early."""
    members, contests = _columns(conn, "member"), _columns(conn, "contest")
    false, true = ("false", "true") if conn.dialect.name == "postgresql" else ("0", "1")
    if "rostered" not in members:
        conn.exec_driver_sql(f"ALTER TABLE member ADD COLUMN rostered BOOLEAN NOT NULL DEFAULT {false}")
    if "scored" not in contests:
        conn.exec_driver_sql(f"ALTER TABLE contest ADD COLUMN scored BOOLEAN NOT NULL DEFAULT {true}")
    if "settled" not in contests:
        conn.exec_driver_sql("ALTER TABLE contest ADD COLUMN settled INTEGER")
    if "round_id" not in contests:
        conn.exec_driver_sql("ALTER TABLE contest ADD COLUMN round_id INTEGER REFERENCES contest_round (id)")


def _meeting_records(conn: Connection) -> None:
    """6: the 三会一课 records: members' 党员类别, 支部职务 and 党小组; a 党小组会's 小组; attendance with a status
    (出席, 请假, 列席) and who recorded it. Members from before have no category ("" counts as 党员) until the roster
    is imported again."""
    members, meetings, attendance = _columns(conn, "member"), _columns(conn, "meeting"), _columns(conn, "attendance")
    for column, size in (("category", 20), ("position", 30), ("party_group", 100)):
        if column not in members:
            conn.exec_driver_sql(f"ALTER TABLE member ADD COLUMN {column} VARCHAR({size}) NOT NULL DEFAULT ''")
    if "party_group" not in meetings:
        conn.exec_driver_sql("ALTER TABLE meeting ADD COLUMN party_group VARCHAR(100) NOT NULL DEFAULT ''")
    if "status" not in attendance:
        conn.exec_driver_sql("ALTER TABLE attendance ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'present'")
    for column, size in (("reason", 500), ("recorded_by", 100)):
        if column not in attendance:
            conn.exec_driver_sql(f"ALTER TABLE attendance ADD COLUMN {column} VARCHAR({size}) NOT NULL DEFAULT ''")


def _branch_columns(conn: Connection) -> None:
    """10: points_total and study_read carry their member's branch (bot/storage/branch_columns.py), filled in from
    the member table; their indexes are made with every other index of 0001."""
    for table in ("points_total", "study_read"):
        if "branch_id" not in _columns(conn, table):
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN branch_id INTEGER")
        conn.exec_driver_sql(f"UPDATE {table} SET branch_id = (SELECT m.branch_id FROM member m "
                             f"WHERE m.id = {table}.member_id) WHERE branch_id IS NULL")


def _cluster_columns(conn: Connection) -> None:
    """11: several instances on one PostgreSQL: the outbox says which instance is sending a row and until when (the
    leader's lease and the inbox are new tables)."""
    columns = _columns(conn, "outbox")
    stamp = "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"
    if "claimed_by" not in columns:
        conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN claimed_by VARCHAR(200)")
    if "lease_until" not in columns:
        conn.exec_driver_sql(f"ALTER TABLE outbox ADD COLUMN lease_until {stamp}")


def _question_source(conn: Connection) -> None:
    """8: an imported question's 出处 (source)."""
    if "source" not in _columns(conn, "bank_question"):
        conn.exec_driver_sql("ALTER TABLE bank_question ADD COLUMN source VARCHAR NOT NULL DEFAULT ''")


# Each step took the schema from version N-1 to N; the steps that only made new tables (5: metered calls and the
# cards sent, 9: the dashboard's tables) and the new tables of the others (and the tables added with no step of
# their own, as the members' binding requests were) are made by create_all above.
_STEPS: dict[int, Callable[[Connection], None]] = {2: _bank_state, 3: _outbox_unconfirmed, 4: _contest_kinds,
                                                   6: _meeting_records, 7: points_categories, 8: _question_source,
                                                   10: _branch_columns, 11: _cluster_columns}
