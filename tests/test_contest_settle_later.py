"""A large question's points are written after its reveal, in parts (bot/services/contests/settle_later.py): the
reveal goes out at once, the points follow a moment later, a part at a time, waiting while members answer in
numbers (but not for ever); a question closed meanwhile queues behind; every point, statistic and 错题本 entry is
written exactly once, in the order the questions closed, also when the bot restarts in between. Thresholds are
lowered so that five members make a "large" question (2 answers per part)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from helpers import RecordingChannel, make_app
from test_bot import GROUP, advance, open_question, right, rows, say, scalar, start_contest, total, wrong

from bot.app import App
from bot.clock import ManualClock
from bot.services.contests import settle_later

PEOPLE = ["张三", "李四", "王五", "赵六", "钱七"]  # 张三 is the 书记: his contests are scored
GAP = settle_later.GAP.total_seconds()


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settle_later, "LATER_ABOVE", 3)
    monkeypatch.setattr(settle_later, "PART", 2)


def everyone_answers(app: App) -> list[str]:
    """All five answer (钱七 wrongly), in this order; the replies to the last, which closes the question."""
    question = open_question(app)
    for name in PEOPLE[1:]:
        say(app, name, wrong(question) if name == "钱七" else right(question))
    return say(app, PEOPLE[0], right(question))


def ledger(app: App) -> int:
    return scalar(app, "SELECT COUNT(*) FROM points_ledger WHERE reason = 'contest'")


def settled(app: App) -> int | None:
    return scalar(app, "SELECT settled FROM contest")


def stats(app: App) -> list[tuple]:
    return rows(app, "SELECT asked, answered, correct FROM question_stat WHERE answered > 0 ORDER BY question_key")


def test_the_reveal_goes_first_and_the_points_follow_in_parts(app: App, clock: ManualClock,
                                                             channel: RecordingChannel) -> None:
    start_contest(app, *PEOPLE, count=2)
    [step] = everyone_answers(app)
    assert "第 1 题答案" in step and "第 2/2 题" in step  # the reveal and the next question, at once
    assert ledger(app) == 0 and settled(app) == 0 and stats(app) == []  # nothing written yet
    advance(app, clock, GAP)
    assert ledger(app) == 2  # the first part: 李四, 王五
    advance(app, clock, GAP)
    assert ledger(app) == 3 and settled(app) == 0  # 赵六, and 钱七's wrong answer, which pays nothing
    advance(app, clock, GAP)
    assert ledger(app) == 4 and settled(app) == 1  # 张三: the question is settled
    assert stats(app) == [(1, 5, 4)]
    assert rows(app, "SELECT COUNT(*) FROM mistake")[0][0] == 1  # 钱七's wrong answer, in his 错题本 once
    assert total(app, "张三") == 1 and total(app, "钱七") == 0
    advance(app, clock, 5)
    assert ledger(app) == 4  # nothing twice


def test_the_parts_wait_while_members_answer_but_not_for_ever(app: App, clock: ManualClock,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settle_later, "QUIET", 0)  # any new answer since the last look is busy
    monkeypatch.setattr(settle_later, "PATIENCE", 1)  # one busy look, then a part goes anyway
    start_contest(app, *PEOPLE, count=2)
    everyone_answers(app)
    question = open_question(app)
    say(app, "李四", right(question))
    advance(app, clock, GAP)  # an answer to question 2 since the reveal: question 1's points wait
    assert ledger(app) == 0
    say(app, "王五", right(question))
    advance(app, clock, GAP)  # busy again, but patience is used up: a part goes
    assert ledger(app) == 2
    advance(app, clock, GAP)  # quiet
    assert ledger(app) == 3
    advance(app, clock, GAP)
    assert ledger(app) == 4 and settled(app) == 1


def test_a_question_closed_while_points_are_owed_queues_behind_them(app: App, clock: ManualClock) -> None:
    start_contest(app, *PEOPLE, count=2)
    everyone_answers(app)
    advance(app, clock, GAP)
    assert ledger(app) == 2
    question = open_question(app)
    say(app, "李四", right(question))
    [ended] = say(app, "张三", "结束竞赛")  # question 2 closes before question 1's points are all written
    assert ended.startswith("⏰ 第 2 题答案：对") and "竞赛已提前结束" in ended
    assert ledger(app) == 2 and settled(app) == 0  # question 2's one point waits behind question 1's
    advance(app, clock, GAP)
    advance(app, clock, GAP)
    assert ledger(app) == 4 and settled(app) == 1  # question 1 first
    advance(app, clock, GAP)
    assert ledger(app) == 5 and settled(app) == 2 and len(stats(app)) == 2
    advance(app, clock, 5)
    assert ledger(app) == 5  # nothing twice


def test_a_restart_before_the_parts_are_written_writes_them_from_the_stored_answers(
        tmp_path: Path, clock: ManualClock, database_url: str) -> None:
    first = make_app(tmp_path, clock, database={"url": database_url})
    first.add_channel(RecordingChannel())
    first.start()
    start_contest(first, *PEOPLE, count=2)
    everyone_answers(first)
    advance(first, clock, GAP)
    assert ledger(first) == 2 and settled(first) == 0
    first.close()  # stopped (or killed) with question 1's points half written
    again = make_app(tmp_path, clock, database={"url": database_url})
    again.add_channel(RecordingChannel())
    again.start()
    try:
        assert ledger(again) == 4 and settled(again) == 1 and stats(again)[0] == (1, 5, 4)
        assert total(again, "张三") == 1 and total(again, "李四") == 1
        clock.set(clock.now() + timedelta(seconds=1))
        again.fire_due_timers()
        assert ledger(again) == 4
        assert open_question(again) is not None and GROUP  # the contest goes on at question 2
    finally:
        again.close()


def test_a_small_question_is_settled_with_its_reveal(app: App, clock: ManualClock,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settle_later, "LATER_ABOVE", 500)
    start_contest(app, *PEOPLE, count=2)
    everyone_answers(app)
    assert ledger(app) == 4 and settled(app) is None and stats(app) == [(1, 5, 4)]


def test_who_reached_the_day_s_cap_is_told_in_a_line_once_the_parts_are_written(
        tmp_path: Path, clock: ManualClock) -> None:
    app = make_app(tmp_path, clock, points={"caps": {"答题": {"daily": 0}}})
    channel = RecordingChannel()
    app.add_channel(channel)
    app.start()
    try:
        start_contest(app, *PEOPLE, count=2)
        [step] = everyone_answers(app)
        assert "已达上限" not in step  # not known yet: nobody's points are written
        advance(app, clock, GAP)
        advance(app, clock, GAP)
        assert not any("已达上限" in t for t in channel.texts)
        advance(app, clock, GAP)
        [told] = [t for t in channel.texts if "已达上限" in t]
        assert all(name in told for name in ("李四", "王五", "赵六", "张三")) and "钱七" not in told
        assert told.startswith("📌 ") and "今日答题积分已达上限（每日 0 分）" in told
    finally:
        app.close()


def test_a_part_that_fails_to_commit_reloads_the_contests_which_writes_what_is_owed(
        app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    start_contest(app, *PEOPLE, count=2)
    everyone_answers(app)
    real = settle_later.award_answers

    def failing_once(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(settle_later, "award_answers", real)
        raise RuntimeError("database gone for a moment")

    monkeypatch.setattr(settle_later, "award_answers", failing_once)
    advance(app, clock, GAP)  # the part fails: the contests are read back, the owed question written from its answers
    assert ledger(app) == 4 and settled(app) == 1 and stats(app) == [(1, 5, 4)]
    question = open_question(app)  # the contest goes on at question 2, and its points are counted on from there
    for name in PEOPLE:
        say(app, name, right(question))
    for _ in range(3):
        advance(app, clock, GAP)
    assert ledger(app) == 9 and settled(app) == 2
    advance(app, clock, 5)
    assert ledger(app) == 9
