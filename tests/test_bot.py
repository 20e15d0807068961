"""The whole bot in-process: build_app, app.handle(Incoming), and what ends up in the database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import (
    T0,
    TEST_BANK_NAME,
    TEST_BANK_YAML,
    RecordingChannel,
    enrol,
    group_msg,
    make_app,
    private_msg,
    texts,
    write_bank,
)
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.app import App
from bot.clock import ManualClock
from bot.dispatcher import APOLOGY
from bot.storage.branches import get_or_create_branch
from bot.storage.people import upsert_member
from bot.storage.points import award_many, award_points
from quizzes.model import Question

GROUP = "第一党支部"


# ----- helpers -----

def scalar(app: App, sql: str, **params):
    with app.db.session() as session:
        return session.execute(text(sql), params).scalar_one()


def rows(app: App, sql: str, **params) -> list[tuple]:
    with app.db.session() as session:
        return [tuple(r) for r in session.execute(text(sql), params).all()]


def group_id(app: App, name: str = GROUP) -> int:
    return scalar(app, "SELECT id FROM chat_group WHERE external_id = :name", name=name)


def member_id(app: App, name: str) -> int:
    return scalar(app, "SELECT member_id FROM identity WHERE channel = 'local' AND external_id = :name", name=name)


def open_question(app: App, group: str = GROUP) -> Question:
    question = app.contests.open_question(group_id(app, group))
    assert question is not None, "no question open"
    return question


def right(question: Question) -> str:
    """A correct reply: letters, 对/错, or the first accepted blank answer."""
    return question.answer


def wrong(question: Question) -> str:
    if question.options:
        return next(letter for letter in "ABCDEFGH"[: len(question.options)] if letter != question.answer)
    if question.answer in ("对", "错"):
        return "错" if question.answer == "对" else "对"
    return "不知道"


def say(app: App, name: str, words: str, group: str = GROUP, **kwargs) -> list[str]:
    return texts(app.handle(group_msg(name, words, group, at=app.clock.now(), **kwargs)))


def advance(app: App, clock: ManualClock, seconds: float) -> int:
    clock.set(clock.now() + timedelta(seconds=seconds))
    return app.fire_due_timers()


def total(app: App, name: str, period: str = "ALL") -> int:
    found = rows(app, "SELECT points FROM points_total WHERE member_id = :m AND period_key = :k",
                 m=member_id(app, name), k=period)
    return found[0][0] if found else 0


def split_step(text: str) -> tuple[str, str]:
    """A closed question's one message: (the reveal, what follows it: the next question or the results)."""
    reveal, _, rest = text.partition("\n\n")
    return reveal, rest


def start_contest(app: App, starter: str = "张三", *others: str, count: int = 3) -> None:
    """The roster puts the starter (书记) and `others` in the branch: a question waits for all of them."""
    enrol(app, starter, *others)
    replies = say(app, starter, f"开始竞赛 {TEST_BANK_NAME} {count}")
    assert any("发起了知识竞赛" in r for r in replies), replies


# ----- platform retries -----

def test_the_same_platform_message_twice_is_answered_and_stored_once(app, clock):
    start_contest(app, "张三", "李四")
    answer = group_msg("张三", right(open_question(app)), at=clock.now(), message_id="wecom-42")
    first = texts(app.handle(answer))
    second = texts(app.handle(answer))
    assert first == ["张三 已作答第 1 题，答案揭晓前不可更改。"]
    assert second == []
    assert scalar(app, "SELECT COUNT(*) FROM contest_answer") == 1
    assert scalar(app, "SELECT COUNT(*) FROM processed_message WHERE message_id = 'wecom-42'") == 1

    advance(app, clock, 11)  # the test bank's questions last 10 s
    # 党建积分 is a contest's base points per correct answer (points.contest_answer); its score only orders the podium
    assert rows(app, "SELECT member_id, amount, reason FROM points_ledger") == [(member_id(app, "张三"), 1, "contest")]
    assert total(app, "张三") == 1


def test_a_retry_after_the_question_closed_changes_nothing(app, clock, channel):
    start_contest(app, "张三")  # alone on the roster: the answer closes the question at once
    answer = group_msg("张三", right(open_question(app)), at=clock.now(), message_id="dingtalk-7")
    assert any("答对 1 人：张三（+10）" in r for r in texts(app.handle(answer)))
    assert app.handle(answer) == []
    assert scalar(app, "SELECT COUNT(*) FROM contest_answer") == 1
    assert scalar(app, "SELECT COUNT(*) FROM points_ledger") == 1


# ----- odd input -----

ODD_TEXTS = {"empty": "", "emoji": "👍🎉🇨🇳", "100KB": "党" * 34_000 + "x" * 2_000}


@pytest.mark.parametrize("during_contest", [False, True], ids=["idle", "contest"])
@pytest.mark.parametrize("kind", list(ODD_TEXTS))
def test_odd_texts_are_handled_quietly(app, kind, during_contest):
    """How quickly: bench/odd_texts.py."""
    words = ODD_TEXTS[kind]
    assert kind != "100KB" or len(words.encode("utf-8")) > 100_000
    if during_contest:
        start_contest(app, "张三", "李四")
    say(app, "王五", "大家好")
    replies = say(app, "王五", words)
    assert all(APOLOGY not in r for r in replies)
    assert len(replies) <= 1
    assert scalar(app, "SELECT COUNT(*) FROM contest_answer") == 0


@pytest.mark.parametrize("kind", list(ODD_TEXTS))
def test_odd_texts_in_a_private_chat(app, kind):
    replies = texts(app.handle(private_msg("王五", ODD_TEXTS[kind])))
    assert all(APOLOGY not in r for r in replies)


def test_a_100_kb_message_during_a_blank_is_not_taken_as_an_answer(app, clock):
    start_contest(app, "张三", "李四", count=8)
    for _ in range(8):
        question = open_question(app)
        if question.type.value == "blank":
            break
        advance(app, clock, 10)
    else:
        pytest.fail("the test bank has blanks")
    assert say(app, "张三", "答" * 50_000) == []  # far longer than any answer: chatter, the turn is kept
    assert scalar(app, "SELECT COUNT(*) FROM contest_answer WHERE member_id = :m", m=member_id(app, "张三")) == 0
    assert say(app, "张三", "答：" + question.answer) == ["张三 已作答第 {} 题，答案揭晓前不可更改。".format(
        scalar(app, "SELECT current_index FROM contest") + 1)]


# ----- members and branches -----

def test_a_non_member_who_answers_becomes_a_member_of_the_branch(app):
    start_contest(app, "张三", "李四")
    question = open_question(app)
    replies = say(app, "新同志", right(question))
    assert replies == ["新同志 已作答第 1 题，答案揭晓前不可更改。"]
    assert rows(app, "SELECT m.name, b.name, m.role FROM member m JOIN branch b ON b.id = m.branch_id "
                     "WHERE m.name = '新同志'") == [("新同志", GROUP, "member")]
    assert rows(app, "SELECT channel, external_id FROM identity WHERE member_id = :m",
                m=member_id(app, "新同志")) == [("local", "新同志")]
    assert scalar(app, "SELECT COUNT(*) FROM contest_answer WHERE member_id = :m", m=member_id(app, "新同志")) == 1


def test_groups_map_to_branches_from_the_settings(tmp_path, clock):
    app = make_app(tmp_path, clock, groups={"学习群": "第一党支部"})
    app.start()
    try:
        say(app, "张三", "大家好", group="学习群")
        say(app, "李四", "大家好", group="闲聊群")
        assert rows(app, "SELECT g.name, b.name FROM chat_group g JOIN branch b ON b.id = g.branch_id "
                         "ORDER BY g.id") == [("学习群", "第一党支部"), ("闲聊群", "闲聊群")]
        assert rows(app, "SELECT m.name, b.name FROM member m JOIN branch b ON b.id = m.branch_id "
                         "ORDER BY m.id") == [("张三", "第一党支部"), ("李四", "闲聊群")]
        replies = say(app, "张三", "支部排行", group="学习群")
        assert "第一党支部" in replies[0] and "学习群" not in replies[0]
    finally:
        app.close()


def test_a_guest_from_another_branch_does_not_close_the_question_early(app):
    say(app, "王五", "大家好", group="第二党支部")  # a member of another branch, also in this group
    start_contest(app, "张三", "李四")  # the branch roster: 张三 and 李四
    question = open_question(app)
    say(app, "王五", right(question))
    replies = say(app, "张三", right(question))
    assert all("答案：" not in r for r in replies), replies  # 李四 has not answered: no reveal yet
    assert replies == ["张三 已作答第 1 题，答案揭晓前不可更改。"]


def test_every_branch_member_answering_closes_the_question_at_once(app, clock):
    start_contest(app, "张三", "李四")
    question = open_question(app)
    say(app, "李四", wrong(question))
    [step] = say(app, "张三", right(question))  # one message: the answer, then the next question
    reveal, asked = split_step(step)
    assert reveal.startswith("⏰ 第 1 题答案：")
    assert "答对 1 人：张三（+10）" in reveal
    assert asked.startswith("📝 知识竞赛 第 2/3 题")


# ----- starting a contest -----

@pytest.mark.parametrize(("words", "expected"), [
    ("开始竞赛 测试题库 30", "题数应在 1 到 20 之间，例如：开始竞赛 测试题库 5"),
    ("开始竞赛 没有这个题库", "没有找到题库「没有这个题库」"),
    ("开始竞赛 测试题库 99999999999题", "题数应在 1 到 20 之间，例如：开始竞赛 测试题库 5"),
    ("开始竞赛 测试题库 30 道题", "题数应在 1 到 20 之间，例如：开始竞赛 测试题库 5"),
])
def test_a_bad_start_is_refused(app, words, expected):
    [reply] = say(app, "张三", words)
    assert reply.startswith(expected)
    assert app.contests.running(group_id(app)) is None


def test_zero_questions_is_refused(app):
    assert say(app, "张三", "开始竞赛 测试题库 0") == ["题数应在 1 到 20 之间，例如：开始竞赛 测试题库 5"]
    assert app.contests.running(group_id(app)) is None


def test_an_answer_goes_to_the_groups_contest_before_the_members_daily_question(app, clock):
    assert "每日一题" in say(app, "张三", "每日一题")[0]
    start_contest(app, "张三", "李四", count=2)  # 李四 on the roster: the question waits for them
    question = open_question(app)
    assert say(app, "张三", wrong(question)) == ["张三 已作答第 1 题，答案揭晓前不可更改。"]
    assert scalar(app, "SELECT count(*) FROM daily_answer WHERE answer IS NOT NULL") == 0
    assert scalar(app, "SELECT count(*) FROM contest_answer") == 1


def test_a_typo_gets_a_suggestion_unless_it_was_group_chatter_not_addressed_to_the_bot(app):
    suggestion = "没有看懂「开始竟赛」。您是不是想发送「开始竞赛」？发送「帮助」查看全部命令。"
    assert say(app, "张三", "开始竟赛") == [suggestion]
    unaddressed = replace(group_msg("张三", "开始竟赛", at=app.clock.now()), mentioned=False)
    assert texts(app.handle(unaddressed)) == []
    assert texts(app.handle(private_msg("张三", "开始竟赛", at=app.clock.now()))) == [suggestion]


def test_a_contest_needs_a_group(app):
    [reply] = texts(app.handle(private_msg("张三", "开始竞赛")))
    assert reply == "知识竞赛需要在群里进行。私聊可以发送「每日一题」。"


# ----- restart -----

def test_a_restarted_bot_reveals_the_open_question_and_keeps_earlier_points(tmp_path, clock):
    first = make_app(tmp_path, clock)
    first.add_channel(RecordingChannel())
    first.start()
    start_contest(first, "张三", "李四")
    q1 = open_question(first)
    say(first, "李四", right(q1))
    say(first, "张三", right(q1))  # closes question 1: 10 each
    clock.set(clock.now() + timedelta(seconds=2))
    q2 = open_question(first)
    say(first, "张三", right(q2))  # 2 s into question 2, streak 1: 12 when it closes
    first.close()

    second = make_app(tmp_path, clock)
    channel = RecordingChannel()
    second.add_channel(channel)
    second.start()
    try:
        assert channel.sent == []  # nothing is due yet
        assert second.contests.open_question(group_id(second)) == q2
        assert advance(second, clock, 10) == 1
        [step] = channel.sent
        assert step.chat.name == GROUP and step.chat.channel == "local"
        reveal, next_question = split_step(step.text)
        assert reveal.startswith("⏰ 第 2 题答案：")
        assert "答对 1 人：张三（+12）" in reveal
        assert next_question.startswith("📝 知识竞赛 第 3/3 题")
        assert (total(second, "张三"), total(second, "李四")) == (2, 1)  # one 党建积分 per correct answer
        # a second answer from 张三 to question 2 would have been refused: his first one was restored
        assert scalar(second, "SELECT COUNT(*) FROM contest_answer WHERE question_index = 1") == 1
    finally:
        second.close()


def test_a_deadline_missed_while_the_bot_was_down_fires_at_start(tmp_path, clock):
    first = make_app(tmp_path, clock)
    first.start()
    start_contest(first, "张三", "李四", count=1)
    say(first, "张三", right(open_question(first)))
    first.close()

    clock.set(clock.now() + timedelta(minutes=5))  # down for five minutes
    second = make_app(tmp_path, clock)
    channel = RecordingChannel()
    second.add_channel(channel)
    second.start()  # fires the missed deadline itself
    try:
        assert second.fire_due_timers() == 0
        reveal, results = split_step(*channel.texts)
        assert reveal.startswith("⏰ 第 1 题答案：") and "答对 1 人：张三（+10）" in reveal
        assert results.startswith("🏆 竞赛结束（测试题库，共 1 题）") and "🥇 张三 10 分" in results
        assert total(second, "张三") == 1
        assert scalar(second, "SELECT status FROM contest") == "finished"
    finally:
        second.close()


# ----- the ledger -----

def test_awarding_the_same_reason_and_source_twice_counts_once(app):
    say(app, "张三", "大家好")
    zhang = member_id(app, "张三")
    with app.db.session() as session:
        assert award_points(session=session, member_id=zhang, amount=7, reason="meeting", source="三会一课:2026-03",
                            now=T0).stored is True
        assert award_points(session=session, member_id=zhang, amount=7, reason="meeting", source="三会一课:2026-03",
                            now=T0).stored is False
        session.commit()
    with app.db.session() as session:  # and again in a later transaction, on another day
        assert award_points(session=session, member_id=zhang, amount=7, reason="meeting", source="三会一课:2026-03",
                            now=T0 + timedelta(days=1)).stored is False
        session.commit()
    with app.db.session() as session:  # a batch holding an awarded source either skips it or rolls back whole
        try:
            award_many(session=session, reason="meeting", now=T0, awards=[(zhang, 7, "三会一课:2026-03")])
            session.commit()
        except IntegrityError:
            session.rollback()
    assert scalar(app, "SELECT COUNT(*) FROM points_ledger") == 1
    assert rows(app, "SELECT period_key, points FROM points_total WHERE member_id = :m ORDER BY period_key",
                m=zhang) == [("ALL", 7), ("ALL/meeting", 7), ("D2026-03-02/meeting", 7), ("M2026-03", 7),
                             ("M2026-03/meeting", 7), ("Q2026-1", 7), ("Q2026-1/meeting", 7), ("W2026-10", 7),
                             ("W2026-10/meeting", 7), ("Y2026", 7), ("Y2026/meeting", 7)]
    mine = say(app, "张三", "我的积分 总")[0].splitlines()
    assert mine[1] == "合计 7 分，第 1 名" and "· 组织生活 7 分" in mine


def test_the_same_source_under_another_reason_is_another_award(app):
    say(app, "张三", "大家好")
    zhang = member_id(app, "张三")
    with app.db.session() as session:
        assert award_points(session=session, member_id=zhang, amount=2, reason="daily", source="x", now=T0)
        assert award_points(session=session, member_id=zhang, amount=3, reason="study", source="x", now=T0)
        session.commit()
    assert total(app, "张三") == 5


# ----- banks -----

BROKEN_BANK = """\
name: 坏题库
questions:
  - type: judge
    question: 这一题没有问题。
    answer: 对
  - type: single
    question: 这一题的答案不在选项里。
    options: [甲, 乙]
    answer: E
"""


def test_a_broken_bank_is_reported_and_the_good_ones_still_load(tmp_path, clock):
    write_bank(tmp_path / "banks", BROKEN_BANK, "broken.yaml")
    app = make_app(tmp_path, clock)
    try:
        assert TEST_BANK_NAME in app.catalog
        assert "坏题库" not in app.catalog
        [problem] = app.bank_problems
        assert Path(problem.file).name == "broken.yaml"
        assert problem.question_no == 2
        assert "broken.yaml" in str(problem) and "第 2 题" in str(problem)
        app.start()  # the problem is logged, the bot still starts
        assert "坏题库" not in say(app, "张三", "题库")[0]
    finally:
        app.close()


# ----- ending a contest -----

def test_an_admin_may_end_a_contest_started_by_someone_else(tmp_path, clock):
    app = make_app(tmp_path, clock)
    app.start()
    try:
        with app.db.session() as session:  # imported from the roster before writing in the group
            branch = get_or_create_branch(session=session, name=GROUP)
            upsert_member(session=session, name="赵书记", branch_id=branch.id, role="admin",
                          identities={"local": "赵书记"}, now=T0)
            session.commit()
        start_contest(app, "张三", "李四")
        say(app, "张三", right(open_question(app)))
        assert say(app, "李四", "结束竞赛") == ["只有竞赛发起人、本支部的书记、委员或管理员可以结束竞赛。"]
        reveal, result = split_step(*say(app, "赵书记", "结束竞赛"))
        assert reveal.startswith("⏰ 第 1 题答案：") and "答对 1 人：张三（+10）" in reveal
        assert result.startswith("🛑 竞赛已提前结束（测试题库，共 3 题，进行到第 1 题）")
        assert "🥇 张三 10 分" in result  # the answer already given counts
        assert app.contests.running(group_id(app)) is None
        assert total(app, "张三") == 1
        assert app.timers.next_due() is None
    finally:
        app.close()


def test_a_member_made_admin_later_may_end_a_contest_once_the_directory_refreshes(app, clock):
    say(app, "王五", "大家好")
    with app.db.session() as session:
        session.execute(text("UPDATE member SET role = 'admin' WHERE name = '王五'"))
        session.commit()
    clock.set(clock.now() + timedelta(minutes=6))  # who-is-who is cached for five minutes
    start_contest(app, "张三")
    reveal, result = split_step(*say(app, "王五", "结束竞赛"))
    assert reveal.startswith("⏰ 第 1 题答案：") and result.startswith("🛑 竞赛已提前结束")


def test_the_starter_may_end_the_contest_and_nothing_fires_afterwards(app, clock, channel):
    start_contest(app, "张三", "李四")
    reveal, result = split_step(*say(app, "张三", "结束竞赛"))
    assert "本题无人作答" in reveal
    assert result.startswith("🛑 竞赛已提前结束") and "本场无人作答" in result
    assert advance(app, clock, 60) == 0
    assert channel.sent == []
    assert say(app, "张三", "结束竞赛") == ["本群当前没有进行中的竞赛。发送「开始竞赛」发起一场。"]


def test_members_imported_while_the_bot_runs_count_on_the_roster(app, clock):
    start_contest(app, "张三", "李四", count=1)  # roster 2, now cached
    question = open_question(app)
    say(app, "李四", right(question))
    say(app, "张三", right(question))  # closes and finishes the contest
    with app.db.session() as session:  # `studybot members import` run meanwhile, from another process
        branch = get_or_create_branch(session=session, name=GROUP)
        for name in ("王五", "赵六"):
            upsert_member(session=session, name=name, branch_id=branch.id, role="member",
                          identities={"wecom": name}, now=clock.now())
        session.commit()
    clock.set(clock.now() + timedelta(minutes=10))  # longer than any cache is meant to live
    start_contest(app, "张三", count=1)
    question = open_question(app)
    say(app, "李四", right(question))
    replies = say(app, "张三", right(question))
    assert replies == ["张三 已作答第 1 题，答案揭晓前不可更改。"], replies  # 王五 and 赵六 have not answered


# ----- contest options and edge cases -----

def test_a_contest_may_set_its_own_time_limit(app, clock, channel):
    say(app, "李四", "大家好")
    replies = say(app, "张三", f"开始竞赛 {TEST_BANK_NAME} 2 15秒")
    assert "每题限时 15 秒" in replies[0] and "限时 15 秒" in replies[1]
    assert advance(app, clock, 14) == 0
    assert advance(app, clock, 1) == 1
    assert channel.texts[0].startswith("⏰ 第 1 题答案：")


def test_a_time_limit_out_of_range_is_refused(app):
    assert say(app, "张三", f"开始竞赛 {TEST_BANK_NAME} 2 3秒") == [
        "每题限时应在 5 到 600 秒之间，例如：开始竞赛 党建基础知识 5 20秒"]
    assert scalar(app, "SELECT COUNT(*) FROM contest") == 0


def test_an_answer_after_the_deadline_but_before_the_reveal_is_told_so(app, clock):
    start_contest(app, "张三", "李四")
    clock.set(clock.now() + timedelta(seconds=10, milliseconds=100))  # the timer has not ticked yet
    assert say(app, "李四", "A") == ["李四，第 1 题作答时间已到，请等待答案揭晓。"]
    assert scalar(app, "SELECT COUNT(*) FROM contest_answer") == 0


def test_a_contest_whose_bank_disappeared_during_a_restart_ends_with_a_notice(tmp_path, clock):
    bank_dir = tmp_path / "extra"
    write_bank(bank_dir, filename="extra.yaml",
               text=TEST_BANK_YAML.replace(f"name: {TEST_BANK_NAME}", "name: 临时题库"))
    first = make_app(tmp_path, clock, quizzes={"bank_dirs": [str(p) for p in (tmp_path / "banks", bank_dir)]})
    first.start()
    enrol(first, "张三", "李四")
    assert any("发起了知识竞赛" in r for r in say(first, "张三", "开始竞赛 临时题库 3"))
    say(first, "张三", right(open_question(first)))
    first.close()

    (bank_dir / "extra.yaml").unlink()  # the secretary removed the bank while the bot was down
    second = make_app(tmp_path, clock, quizzes={"bank_dirs": [str(p) for p in (tmp_path / "banks", bank_dir)]})
    recorder = RecordingChannel()
    second.add_channel(recorder)
    second.start()
    try:
        assert recorder.texts == ["本群进行中的知识竞赛（临时题库）因题库已变更或被移除而结束，"
                                  "已作答题目的积分照常计入。"]
        assert scalar(second, "SELECT status FROM contest") == "finished"
        assert total(second, "张三") == 1  # the answer given before the restart counts
        assert second.contests.running(group_id(second)) is None
        assert any("发起了知识竞赛" in r for r in say(second, "张三", f"开始竞赛 {TEST_BANK_NAME} 1"))
    finally:
        second.close()
