"""The 党建积分 ledger with categories and caps (schema 7): what counts, what a cap holds back (recorded with 0),
who is told, the totals per category; the ledger refusing any edit in place; and a schema-6 database upgraded
with its points kept and counted by category."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from before_alembic import forget_alembic
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from bot.app import App
from bot.storage.db import Database
from bot.storage.points import award_many, award_points, reverse_points
from scheduler.points import Cap, Category
from tests.helpers import T0
from tests.test_bot import member_id, rows, say, scalar

QUIZ_CAP = Cap(daily=5, monthly=8)


def award(app: App, member: int, amount: int, source: str, days: int = 0):
    with app.db.session() as session:
        done = award_points(session=session, member_id=member, amount=amount, reason="daily", source=source,
                            now=T0 + timedelta(days=days), category=Category.QUIZ, cap=QUIZ_CAP)
        session.commit()
    return done


def test_points_over_the_daily_cap_are_recorded_with_0_and_told_once(app: App) -> None:
    say(app, "张三", "大家好")
    zhang = member_id(app, "张三")
    results = [award(app, zhang, 2, f"s{i}") for i in range(4)]
    assert [(r.paid, r.withheld, r.reached) for r in results] == [
        (2, 0, None), (2, 0, None), (1, 1, "daily"), (0, 2, None)]  # told with the first points held back only
    assert rows(app, "SELECT amount, withheld, category FROM points_ledger ORDER BY id") == [
        (2, 0, "quiz"), (2, 0, "quiz"), (1, 1, "quiz"), (0, 2, "quiz")]
    assert scalar(app, "SELECT points FROM points_total WHERE member_id = :m AND period_key = 'D2026-03-02/quiz'",
                  m=zhang) == 5
    # the next day counts again, until the month's cap (8): 3 more, then the monthly cap is told once
    later = [award(app, zhang, 2, f"t{i}", days=1) for i in range(3)]
    assert [(r.paid, r.withheld, r.reached) for r in later] == [(2, 0, None), (1, 1, "monthly"), (0, 2, None)]
    assert scalar(app, "SELECT points FROM points_total WHERE member_id = :m AND period_key = 'M2026-03/quiz'",
                  m=zhang) == 8
    assert scalar(app, "SELECT points FROM points_total WHERE member_id = :m AND period_key = 'ALL'", m=zhang) == 8


def test_a_batch_caps_each_member_on_their_own_totals(app: App) -> None:
    for name in ("张三", "李四"):
        say(app, name, "大家好")
    zhang, li = member_id(app, "张三"), member_id(app, "李四")
    award(app, zhang, 4, "before")
    with app.db.session() as session:
        reached = award_many(session=session, reason="contest", now=T0, category=Category.QUIZ, cap=QUIZ_CAP,
                             awards=[(zhang, 3, "c:1:0:z"), (li, 3, "c:1:0:l")], note="测试题库")
        session.commit()
    assert reached == {zhang: "daily"}
    assert rows(app, "SELECT member_id, amount, withheld, note FROM points_ledger WHERE reason = 'contest' "
                "ORDER BY member_id") == sorted([(zhang, 1, 2, "测试题库"), (li, 3, 0, "测试题库")])


def test_the_ledger_refuses_any_edit_in_place(app: App) -> None:
    say(app, "张三", "大家好")
    zhang = member_id(app, "张三")
    award(app, zhang, 2, "kept")
    before = rows(app, "SELECT * FROM points_ledger ORDER BY id")
    for statement in ("UPDATE points_ledger SET amount = 100", "UPDATE points_ledger SET note = '改过'",
                      "DELETE FROM points_ledger"):
        with app.db.session() as session, pytest.raises(DatabaseError, match="append-only"):
            session.execute(text(statement))
            session.commit()
    assert rows(app, "SELECT * FROM points_ledger ORDER BY id") == before
    # a correction is a new entry; the old one stays as it was
    with app.db.session() as session:
        assert reverse_points(session=session, member_id=zhang, reason="daily", source="kept",
                              undo_source="kept:undo", note="更正") == 2
        session.commit()
    after = rows(app, "SELECT * FROM points_ledger ORDER BY id")
    assert after[:1] == before and len(after) == 2
    assert rows(app, "SELECT amount, category, note FROM points_ledger WHERE source = 'kept:undo'") == [
        (-2, "quiz", "更正")]
    assert scalar(app, "SELECT points FROM points_total WHERE member_id = :m AND period_key = 'ALL/quiz'",
                  m=zhang) == 0


def test_a_schema_6_database_keeps_its_points_and_counts_them_by_category(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/old.db")
    db.create_schema()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER points_ledger_no_update")
        conn.exec_driver_sql("DROP TRIGGER points_ledger_no_delete")
        conn.exec_driver_sql("DROP TABLE points_request")
        for column in ("category", "withheld", "note"):
            conn.exec_driver_sql(f"ALTER TABLE points_ledger DROP COLUMN {column}")
        conn.exec_driver_sql("INSERT INTO branch (name) VALUES ('第一党支部')")
        conn.exec_driver_sql("INSERT INTO member (name, branch_id, role, created_at, rostered, category, position, "
                             "party_group) VALUES ('张三', 1, 'member', '2026-03-01 09:00:00', 1, '', '', '')")
        for amount, reason, source in ((10, "contest", "contest:1:0:1"), (5, "meeting", "7:1"), (2, "study", "a:1")):
            conn.exec_driver_sql("INSERT INTO points_ledger (member_id, amount, reason, source, created_at) VALUES "
                                 f"(1, {amount}, '{reason}', '{source}', '2026-03-02 09:00:00.000000')")
            conn.exec_driver_sql("INSERT INTO points_total (member_id, period_key, points) VALUES (1, 'ALL', "
                                 f"{amount}) ON CONFLICT (member_id, period_key) DO UPDATE SET points = points_total."
                                 "points + excluded.points")
        conn.exec_driver_sql("UPDATE schema_version SET version = 6")
        forget_alembic(conn)  # made before Alembic
    db.create_schema()
    assert db.schema().up_to_date
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT reason, amount, category, withheld, note FROM points_ledger ORDER BY id")
                            ).all() == [("contest", 10, "quiz", 0, ""), ("meeting", 5, "meeting", 0, ""),
                                        ("study", 2, "study", 0, "")]
        totals = dict(conn.execute(text("SELECT period_key, points FROM points_total")).all())
    assert totals["ALL"] == 17 and totals["M2026-03/quiz"] == 10 and totals["ALL/meeting"] == 5
    assert totals["D2026-03-02/study"] == 2 and "points_request" in db.engine.dialect.get_table_names(
        db.engine.connect())
    db.dispose()
