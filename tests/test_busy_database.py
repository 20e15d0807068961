"""A message that meets a busy database (an import beside the bot holds the write lock) is tried again and
stored, not answered with an apology and lost."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from helpers import T0, RecordingChannel, group_msg, make_app, texts

from bot.app import App
from bot.clock import ManualClock
from bot.dispatcher import APOLOGY

GROUP = "第一党支部"


class Writer:
    """Another process's write transaction on the bot's SQLite file, holding the lock until released."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)

    def hold(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


class ReleasingClock(ManualClock):
    """The dispatcher's pause before a second try is when the other writer finishes."""

    def __init__(self, start: datetime, writer: Writer, after: int = 1) -> None:
        super().__init__(start)
        self.writer, self.after, self.pauses = writer, after, []

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        if len(self.pauses) >= self.after:
            self.writer.release()
        super().pause(seconds)


def started(tmp_path: Path, clock: ManualClock) -> App:
    app = make_app(tmp_path, clock, database={"url": f"sqlite:///{tmp_path}/t.db", "busy_timeout": 0.05})
    app.add_channel(RecordingChannel())
    app.start()
    return app


def say(app: App, name: str, words: str) -> list[str]:
    return texts(app.handle(group_msg(name, words, GROUP, at=app.clock.now())))


def stored_answers(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "t.db") as conn:
        return conn.execute("SELECT COUNT(*) FROM contest_answer").fetchone()[0]


def test_an_answer_that_meets_a_held_write_lock_is_stored_once_the_lock_is_free(tmp_path: Path) -> None:
    writer = Writer(tmp_path / "t.db")
    clock = ReleasingClock(T0, writer, after=2)  # busy on the first two tries
    app = started(tmp_path, clock)
    try:
        say(app, "李四", "大家好")
        say(app, "张三", "开始竞赛 测试题库 2")
        answer = app.contests.open_question(1).answer
        writer.hold()
        assert say(app, "张三", answer) == ["张三 已作答第 1 题，答案揭晓前不可更改。"]
        assert clock.pauses == [0.05, 0.2]
        assert stored_answers(tmp_path) == 1
    finally:
        writer.release()
        app.close()


def test_a_database_busy_past_every_try_gets_the_apology_and_nothing_half_stored(tmp_path: Path) -> None:
    writer = Writer(tmp_path / "t.db")
    clock = ReleasingClock(T0, writer, after=99)  # never released while the message is handled
    app = started(tmp_path, clock)
    try:
        say(app, "李四", "大家好")
        say(app, "张三", "开始竞赛 测试题库 2")
        writer.hold()
        assert say(app, "张三", "A") == [APOLOGY]
        assert len(clock.pauses) == 3
        writer.release()
        assert stored_answers(tmp_path) == 0
    finally:
        writer.release()
        app.close()
