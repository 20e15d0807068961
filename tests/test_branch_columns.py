"""Totals and 已学 rows carry their member's branch (bot/storage/branch_columns.py): the branch ranking and 学习's
reads per branch read that column, so it must be the member's branch now — written with the row, moved with the
member when a roster import (or a first message in a branch's group) moves them, and filled in when a database from
before schema 10 is upgraded (SQLite, and PostgreSQL when the tests are given one)."""

from __future__ import annotations

from datetime import datetime

from before_alembic import forget_alembic
from sqlalchemy import text
from sqlmodel import select

from bot.storage.dashboard_study import study_facts
from bot.storage.db import Database
from bot.storage.models import Branch, Member
from bot.storage.people import MemberRecord, write_members
from bot.storage.points import award_points
from bot.storage.ranking import branch_ranking
from bot.storage.scope import Scope
from bot.storage.study import mark_read

NOW = datetime(2026, 3, 4, 10, 0)


def _organisation(url: str) -> tuple[Database, dict[str, int]]:
    db = Database(url)
    db.create_schema()
    with db.session() as session:
        first, second = Branch(name="第一支部"), Branch(name="第二支部")
        session.add_all([first, second])
        session.flush()
        for name, branch in (("张三", first), ("李四", first), ("王五", second)):
            session.add(Member(name=name, branch_id=branch.id, created_at=NOW, rostered=True))
        session.flush()
        people = {m.name: m.id for m in session.exec(select(Member))}
        for name, amount in (("张三", 30), ("李四", 10), ("王五", 5)):
            award_points(session=session, member_id=people[name], amount=amount, reason="contest",
                         source=f"t:{name}", now=NOW)
        mark_read(session=session, member_id=people["张三"], item_id="01-lilun", now=NOW)
        session.commit()
    return db, {"第一支部": first.id, "第二支部": second.id, **people}  # type: ignore[dict-item]


def _branches(db: Database) -> dict[str, tuple[int, int, int]]:
    with db.session() as session:
        return {b.name: (b.members, b.participants, b.total_points)
                for b in branch_ranking(session=session, period_key="ALL")}


def _reads(db: Database) -> dict[tuple[int | None, str], int]:
    with db.session() as session:
        return study_facts(session, Scope(everything=True)).reads


def test_the_ranking_and_the_reads_count_each_member_in_their_branch(database_url: str) -> None:
    db, ids = _organisation(database_url)
    assert _branches(db) == {"第一支部": (2, 2, 40), "第二支部": (1, 1, 5)}
    assert _reads(db) == {(ids["第一支部"], "01-lilun"): 1}
    with db.session() as session:  # a scoped viewer sees only their branch's reads
        assert study_facts(session, Scope(branch_ids=frozenset({ids["第二支部"]}))).reads == {}


def test_a_member_moved_by_a_roster_import_takes_their_points_and_reads_along(database_url: str) -> None:
    db, ids = _organisation(database_url)
    with db.session() as session:
        write_members(session=session, now=NOW, records=[
            MemberRecord(name="张三", branch_id=ids["第二支部"], role=None, member_id=ids["张三"], identities={})])
        session.commit()
    assert _branches(db) == {"第一支部": (1, 1, 10), "第二支部": (2, 2, 35)}
    assert _reads(db) == {(ids["第二支部"], "01-lilun"): 1}
    with db.session() as session:  # points earned after the move carry the new branch too
        award_points(session=session, member_id=ids["张三"], amount=3, reason="daily", source="d:1", now=NOW)
        session.commit()
    assert _branches(db)["第二支部"] == (2, 2, 38)


def test_a_database_from_before_gets_the_columns_filled_in(database_url: str) -> None:
    db, ids = _organisation(database_url)
    with db.engine.begin() as conn:
        for table, index in (("points_total", "ix_points_total_branch"), ("study_read", "ix_study_read_branch")):
            conn.exec_driver_sql(f"DROP INDEX {index}")
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN branch_id")
        conn.exec_driver_sql("UPDATE schema_version SET version = 9")  # before branch_columns (10)
        forget_alembic(conn)  # made before Alembic
    db.create_schema()
    assert db.schema().up_to_date
    assert _branches(db) == {"第一支部": (2, 2, 40), "第二支部": (1, 1, 5)}
    assert _reads(db) == {(ids["第一支部"], "01-lilun"): 1}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM points_total WHERE branch_id IS NULL")).scalar_one() == 0
