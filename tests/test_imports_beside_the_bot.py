"""Imports beside the running bot: a bank written in short transactions out of sight and shown in one step, a
roster upserted in short transactions, so the bot's answers never wait behind them.

Before, one transaction wrote every question or member: 100,000 of them held SQLite's write lock for seconds,
and the bot's answers beside it waited past the platforms' 5 s and were lost with an apology."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from before_alembic import forget_alembic
from sqlalchemy import create_engine, text

from bot.services.bank_import import import_bank
from bot.services.roster import import_roster
from bot.services.roster_file import RosterRow
from bot.storage.banks import load_stored_banks
from bot.storage.db import Database
from bot.storage.people import register_member
from bot.storage.turns import TakingTurns, pause_after
from quizzes.model import Bank, Question, QuestionType

NOW = datetime(2026, 3, 2, 9, 0)


def bank(name: str, first: int, count: int) -> Bank:
    questions = tuple(Question(QuestionType.JUDGE, f"第 {i} 题：党员有退党的自由。", "对")
                      for i in range(first, first + count))
    return Bank(name, questions)


def stems(db: Database, name: str) -> list[str]:
    with db.session() as session:
        stored = load_stored_banks(session=session)
    return [q.text.split("：")[0] for q in stored[name].questions] if name in stored else []


@pytest.fixture
def db(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path}/t.db")
    database.create_schema()
    yield database
    database.dispose()


def test_the_write_lock_is_free_between_chunks_and_readers_see_the_old_bank_until_the_end(db, tmp_path) -> None:
    import_bank(db, bank("党史", 0, 3), source="a.csv", replace=False, now=NOW)
    other = sqlite3.connect(tmp_path / "t.db", timeout=0, isolation_level=None)  # a writer that will not wait
    seen: list[tuple[int, list[str]]] = []

    def between(done: int, total: int) -> None:
        other.execute("BEGIN IMMEDIATE")  # "database is locked" at once if the import held the lock
        other.execute("INSERT INTO processed_message (channel, message_id, received_at) "
                      f"VALUES ('local', 'answer-{done}', '2026-03-02 09:00:00')")
        other.execute("COMMIT")
        seen.append((done, stems(db, "党史")))

    saved = import_bank(db, bank("党史", 3, 25), source="b.csv", replace=False, now=NOW, chunk=10, progress=between)
    assert [done for done, _ in seen] == [10, 20, 25]
    assert all(visible == ["第 0 题", "第 1 题", "第 2 题"] for _, visible in seen)  # nothing half-written
    assert stems(db, "党史") == [f"第 {i} 题" for i in range(28)]  # then all of it at once, in order
    assert (saved.added, saved.already_there, saved.replaced) == (25, 0, False)
    assert other.execute("SELECT COUNT(*) FROM processed_message").fetchone()[0] == 3


def test_appending_skips_the_questions_the_bank_has_and_replacing_shows_only_the_new_ones(db) -> None:
    import_bank(db, bank("党史", 0, 5), source="a.csv", replace=False, now=NOW)
    again = import_bank(db, bank("党史", 3, 4), source="b.csv", replace=False, now=NOW, chunk=2)
    assert (again.added, again.already_there) == (2, 2)
    assert stems(db, "党史") == [f"第 {i} 题" for i in range(7)]
    replaced = import_bank(db, bank("党史", 100, 3), source="c.csv", replace=True, now=NOW, chunk=2)
    assert (replaced.added, replaced.replaced) == (3, True)
    assert stems(db, "党史") == ["第 100 题", "第 101 题", "第 102 题"]
    with db.session() as session:  # the replaced bank's rows are gone, not just hidden
        assert session.execute(text("SELECT COUNT(*) FROM bank_question")).scalar_one() == 3
        assert session.execute(text("SELECT COUNT(*) FROM bank")).scalar_one() == 1


def test_an_interrupted_import_shows_nothing_and_leaves_nothing(db) -> None:
    import_bank(db, bank("党史", 0, 2), source="a.csv", replace=False, now=NOW)

    def fail(done: int, total: int) -> None:
        if done >= 4:
            raise KeyboardInterrupt  # the admin pressed Ctrl-C, or the machine went down

    with pytest.raises(KeyboardInterrupt):
        import_bank(db, bank("党史", 2, 10), source="b.csv", replace=True, now=NOW, chunk=2, progress=fail)
    assert stems(db, "党史") == ["第 0 题", "第 1 题"]
    with db.session() as session:
        assert session.execute(text("SELECT COUNT(*) FROM bank_question")).scalar_one() == 2


def test_a_staging_bank_left_by_a_killed_import_is_dropped_by_the_next_one(db, tmp_path) -> None:
    import_bank(db, bank("党史", 0, 2), source="a.csv", replace=False, now=NOW)
    with db.session() as session:  # what a killed import leaves: a staging row and some of its questions
        session.execute(text("INSERT INTO bank (name, description, source, updated_at, state) "
                             "VALUES ('staging:dead', '', '', '2026-03-01 09:00:00', 'staging')"))
        dead = session.execute(text("SELECT id FROM bank WHERE name = 'staging:dead'")).scalar_one()
        session.execute(text("INSERT INTO bank_question (bank_id, position, key, type, text, options, answer, "
                             "blanks, explanation, difficulty, topic) VALUES "
                             f"({dead}, 0, 'k', 'judge', 'x', '[]', '对', '[]', '', '', '')"))
        session.commit()
    assert stems(db, "党史") == ["第 0 题", "第 1 题"]  # never seen
    import_bank(db, bank("团史", 0, 1), source="c.csv", replace=False, now=NOW)
    with db.session() as session:
        assert session.execute(text("SELECT name FROM bank ORDER BY name")).scalars().all() == ["党史", "团史"]
        assert session.execute(text("SELECT COUNT(*) FROM bank_question")).scalar_one() == 3


def test_a_database_of_the_first_schema_is_upgraded_and_keeps_its_banks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    first = Database(url)
    first.create_schema()
    import_bank(first, bank("党史", 0, 2), source="a.csv", replace=False, now=NOW)
    first.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:  # as version 1 left it: no state column
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_bank_state")
        conn.exec_driver_sql("ALTER TABLE bank DROP COLUMN state")
        conn.exec_driver_sql("UPDATE schema_version SET version = 1")
        forget_alembic(conn)  # made before Alembic
    engine.dispose()
    upgraded = Database(url)
    upgraded.create_schema()
    assert upgraded.schema().up_to_date
    assert stems(upgraded, "党史") == ["第 0 题", "第 1 题"]
    upgraded.dispose()


# ----- rosters -----

def roster(*rows: tuple[str, str, str]) -> list[RosterRow]:
    """(name, branch, WeCom account) rows, numbered as Excel shows them (the header is row 1)."""
    return [RosterRow(number, name, branch, None, {"wecom": account} if account else {})
            for number, (name, branch, account) in enumerate(rows, start=2)]


def members(db: Database) -> list[tuple[str, str, str | None]]:
    with db.session() as session:
        return [tuple(r) for r in session.execute(text(
            "SELECT m.name, b.name, i.external_id FROM member m LEFT JOIN branch b ON b.id = m.branch_id "
            "LEFT JOIN identity i ON i.member_id = m.id AND i.channel = 'wecom' ORDER BY m.id")).all()]


def test_a_roster_is_written_in_chunks_with_the_write_lock_free_between_them(db, tmp_path) -> None:
    other = sqlite3.connect(tmp_path / "t.db", timeout=0, isolation_level=None)
    steps: list[int] = []

    def between(done: int, total: int) -> None:
        other.execute("BEGIN IMMEDIATE")
        other.execute("COMMIT")
        steps.append(done)

    rows = roster(*((f"党员{i}", "第一党支部", f"u{i}") for i in range(25)))
    result = import_roster(db, rows=rows, now=NOW, label="名册.csv", chunk=10, progress=between)
    assert steps == [10, 20, 25]
    assert (result.added, result.updated, result.branches, result.new_branches) == (25, 0, 1, 1)
    assert len(members(db)) == 25


def test_an_interrupted_roster_import_run_again_finishes_without_a_second_person(db) -> None:
    rows = roster(("张三", "第一党支部", "zs"), ("李四", "第一党支部", "ls"), ("王五", "第二党支部", "ww"))

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_roster(db, rows=rows, now=NOW, label="名册.csv", chunk=2, progress=stop)
    assert members(db) == [("张三", "第一党支部", "zs"), ("李四", "第一党支部", "ls")]
    again = import_roster(db, rows=rows, now=NOW, label="名册.csv", chunk=2)
    assert (again.added, again.unchanged) == (1, 2)
    assert members(db) == [("张三", "第一党支部", "zs"), ("李四", "第一党支部", "ls"), ("王五", "第二党支部", "ww")]


def test_a_member_who_first_writes_while_the_import_runs_is_updated_not_doubled(db) -> None:
    rows = roster(("张三", "第一党支部", "zs"), ("李四", "第一党支部", "ls"))

    def meanwhile(done: int, total: int) -> None:
        if done == 1:  # 李四 writes to the bot on WeCom before the import reaches their row
            with db.session() as session:
                register_member(session=session, channel="wecom", external_id="ls", name="lisi", branch_id=None,
                                now=NOW)
                session.commit()

    import_roster(db, rows=rows, now=NOW, label="名册.csv", chunk=1, progress=meanwhile)
    assert members(db) == [("张三", "第一党支部", "zs"), ("李四", "第一党支部", "ls")]


def test_a_long_import_stays_away_after_each_transaction_as_long_as_a_waiting_writer_may_sleep() -> None:
    """SQLite's busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms between looks: after
    holding the lock for `held`, the import waits out the sleep a writer that began waiting then is in."""
    assert pause_after(0.0005) == pytest.approx(0.003)
    assert pause_after(0.004) == pytest.approx(0.007)  # 1 + 2 ms asleep, then 5 more
    assert pause_after(0.060) == pytest.approx(0.027)
    assert pause_after(0.200) == pytest.approx(0.052)
    assert pause_after(2.0) == pytest.approx(0.102)


def test_taking_turns_waits_before_each_transaction_but_the_first(db) -> None:
    now = [0.0]
    slept: list[float] = []

    def clock() -> float:
        now[0] += 0.004  # every look at the clock: 4 ms later
        return now[0]

    turns = TakingTurns(db, sleep=slept.append, clock=clock)
    for _ in range(3):
        with turns.transaction() as session:
            session.execute(text("SELECT 1"))
    assert slept == [pytest.approx(0.007)] * 2
