"""`studybot db backup` while a contest runs, and `studybot db restore` into an empty database: every contest, answer
and point comes back; what cannot be restored (a database with data, a file that is no backup, a damaged one, a
database a bot is running on) is refused in one line, changing nothing. PostgreSQL gets how to use pg_dump."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import RecordingChannel, enrol, group_chat, group_msg, make_app
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import App
from bot.cli import build_cli
from bot.clock import ManualClock
from bot.storage import backup
from bot.storage.instance_lock import InstanceLock
from bot.storage.models import ChatGroup
from quizzes.model import Question

runner = CliRunner()
MEMBERS = ["张三", "李四", "王五", "赵六"]
# what a restore must bring back, row for row
RECORDS = {
    "contests": "SELECT id, group_id, bank, question_keys, status, current_index FROM contest ORDER BY id",
    "answers": "SELECT contest_id, question_index, member_id, answer, correct, points FROM contest_answer ORDER BY id",
    "points": "SELECT member_id, amount, reason, source FROM points_ledger ORDER BY id",
    "totals": "SELECT member_id, period_key, points FROM points_total ORDER BY member_id, period_key",
}


def invoke(*args: str):
    return runner.invoke(build_cli(), list(args), prog_name="studybot")


def config(tmp_path: Path, name: str, url: str) -> str:
    path = tmp_path / name
    path.write_text(f"database:\n  url: {url}\n", encoding="utf-8")
    return str(path)


def records(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in RECORDS.items()}


def say(app: App, name: str, words: str) -> None:
    app.handle(group_msg(name, words, at=app.clock.now()))


def question_open(app: App) -> Question:
    with app.db.session() as session:
        group = session.exec(select(ChatGroup).where(ChatGroup.external_id == group_chat().chat_id)).one()
    assert group.id is not None
    question = app.contests.open_question(group.id)
    assert question is not None
    return question


@pytest.fixture
def running(tmp_path: Path, clock: ManualClock):
    """A contest half way: question 1 closed (its points in the ledger), question 2 answered by two of four."""
    app = make_app(tmp_path, clock)
    app.add_channel(RecordingChannel())
    app.start()
    enrol(app, MEMBERS[0], *MEMBERS[1:])
    say(app, MEMBERS[0], "开始竞赛 测试题库 3")
    first = question_open(app)
    for name in MEMBERS:  # everyone on the roster answered: the question closes at once
        say(app, name, first.answer)
    clock.set(clock.now() + timedelta(seconds=2))
    second = question_open(app)
    assert second.text != first.text
    for name in MEMBERS[:2]:
        say(app, name, second.answer)
    yield app
    app.close()


def test_a_backup_during_a_contest_restores_every_contest_answer_and_point(running: App, tmp_path: Path) -> None:
    live = tmp_path / "t.db"
    before = records(live)
    assert len(before["answers"]) == 6 and len(before["points"]) == 4 and before["contests"][0][4] == "running"
    made = invoke("db", "backup", str(tmp_path / "备份.db"), "-c", config(tmp_path, "live.yaml", f"sqlite:///{live}"))
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith(f"已备份到 {tmp_path / '备份.db'}（")
    assert "完整性检查通过）：支部 1，成员 4，竞赛 1，答题 6，积分记录 4" in made.stdout
    assert sorted(p.name for p in tmp_path.glob("备份.db*")) == ["备份.db"]  # one file, no WAL beside it

    restored = tmp_path / "restored" / "new.db"
    back = invoke("db", "restore", str(tmp_path / "备份.db"), "-c",
                  config(tmp_path, "new.yaml", f"sqlite:///{restored}"))
    assert back.exit_code == 0, back.output
    assert back.stdout.startswith(f"已从 {tmp_path / '备份.db'} 恢复到 {restored}（")
    assert records(restored) == before

    # the restored database carries the contest on: question 2 is still open, waiting for the other two
    again = make_app(restored.parent, ManualClock(running.clock.now()), database={"url": f"sqlite:///{restored}"})
    again.add_channel(RecordingChannel())
    again.start()
    try:
        assert question_open(again).text == question_open(running).text
    finally:
        again.close()


def test_answers_written_while_the_copy_runs_neither_stop_it_nor_get_into_it(running: App, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup, "STEP_PAGES", 1)  # a page a step: the bot writes between every two
    live = tmp_path / "t.db"
    before = records(live)
    late = iter(MEMBERS[2:])
    steps = []

    def meanwhile(done: int, total: int) -> None:
        steps.append(done)
        assert len(steps) <= total, "the copy started over"  # what SQLite does when the source changes under it
        if (name := next(late, None)) is not None:
            say(running, name, question_open(running).answer)

    copied = backup.back_up(live, tmp_path / "copy.db", meanwhile)
    assert len(steps) > 2  # the two late answers went in between steps
    assert copied.counts["contest_answer"] == 6  # the copy is the database as it was when the copy began
    assert records(tmp_path / "copy.db") == before
    assert len(records(live)["answers"]) > 6  # while the bot went on answering


def test_restore_refuses_a_database_that_has_data(running: App, tmp_path: Path) -> None:
    live = f"sqlite:///{tmp_path / 't.db'}"
    assert invoke("db", "backup", str(tmp_path / "b.db"), "-c", config(tmp_path, "c.yaml", live)).exit_code == 0
    before = records(tmp_path / "t.db")
    running.close()  # no bot on it: the refusal is about the data
    result = invoke("db", "restore", str(tmp_path / "b.db"), "-c", config(tmp_path, "c.yaml", live))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"数据库 {tmp_path / 't.db'} 里已有数据（支部 1，成员 4，")
    assert "恢复只写入空数据库" in result.stderr and "Traceback" not in result.output
    assert records(tmp_path / "t.db") == before


def test_restore_refuses_while_a_bot_runs_on_the_target(tmp_path: Path, clock: ManualClock) -> None:
    app = make_app(tmp_path, clock)
    app.close()
    assert invoke("db", "backup", str(tmp_path / "b.db"), "-c",
                  config(tmp_path, "c.yaml", f"sqlite:///{tmp_path / 't.db'}")).exit_code == 0
    target = tmp_path / "new.db"
    with InstanceLock(tmp_path / "new.db.lock") as lock:
        lock.acquire(since="2026-03-02 09:00:00", command="studybot run")
        result = invoke("db", "restore", str(tmp_path / "b.db"), "-c",
                        config(tmp_path, "new.yaml", f"sqlite:///{target}"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"不能恢复到数据库 {target}：它正由另一个 studybot 进程（进程号 ")
    assert not target.exists()


@pytest.mark.parametrize(("make", "reason"), [
    (lambda path: path.write_text("name: 题库\n", encoding="utf-8"), "不是 SQLite 数据库文件"),
    (lambda path: sqlite3.connect(path).execute("CREATE TABLE notes (text)").connection.commit(),
     "其中没有 studybot 的数据表（缺少 member、contest、contest_answer、points_ledger）"),
    ("damaged", "文件已损坏"),
])
def test_restore_refuses_what_is_no_backup_changing_nothing(tmp_path: Path, clock: ManualClock, make, reason) -> None:
    file = tmp_path / "b.db"
    if make == "damaged":  # a real backup with its middle overwritten
        app = make_app(tmp_path, clock)
        app.close()
        shutil.copy(tmp_path / "t.db", file)
        with file.open("r+b") as raw:
            raw.seek(4096 * 3)
            raw.write(b"\xff" * 4096 * 10)
    else:
        make(file)
    target = tmp_path / "new.db"
    result = invoke("db", "restore", str(file), "-c", config(tmp_path, "new.yaml", f"sqlite:///{target}"))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"{file} 不是可用的 studybot 备份：")
    assert reason in result.stderr and "Traceback" not in result.output
    assert not target.exists()


def test_backup_refuses_to_overwrite_or_to_copy_the_database_onto_itself(tmp_path: Path, clock: ManualClock) -> None:
    make_app(tmp_path, clock).close()
    settings = config(tmp_path, "c.yaml", f"sqlite:///{tmp_path / 't.db'}")
    (tmp_path / "old.db").write_text("留着", encoding="utf-8")
    assert invoke("db", "backup", str(tmp_path / "old.db"), "-c", settings).stderr.startswith(
        f"{tmp_path / 'old.db'} 已存在；如需覆盖请加 --force")
    assert (tmp_path / "old.db").read_text(encoding="utf-8") == "留着"
    assert invoke("db", "backup", str(tmp_path / "old.db"), "--force", "-c", settings).exit_code == 0
    onto_itself = invoke("db", "backup", str(tmp_path / "t.db"), "--force", "-c", settings)
    assert onto_itself.exit_code == 1 and "备份文件不能就是数据库本身" in onto_itself.stderr


def test_postgresql_is_told_how_to_use_pg_dump_with_the_password_left_out(tmp_path: Path) -> None:
    url = "postgresql+psycopg://studybot:s3cret@db.example:5433/studybot"
    result = invoke("db", "backup", str(tmp_path / "b.dump"), "-c", config(tmp_path, "pg.yaml", url))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        f"数据库是 PostgreSQL：请用 PostgreSQL 自带的 pg_dump 备份（studybot 没有写出 {tmp_path / 'b.dump'}）：",
        f"  pg_dump --format=custom --file={tmp_path / 'b.dump'} \"postgresql://studybot@db.example:5433/studybot\""]
    assert "s3cret" not in result.output and "~/.pgpass" in result.stderr
    assert not (tmp_path / "b.dump").exists()
    restore = invoke("db", "restore", str(tmp_path / "b.dump"), "-c", config(tmp_path, "pg.yaml", url))
    assert restore.exit_code == 2 and "pg_restore --no-owner" in restore.stderr and "s3cret" not in restore.output
