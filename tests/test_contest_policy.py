"""Issue 12's contest rules, as members and the ledger see them: whom a question waits for, 下一题, one answer
policy for typed answers and card taps (private notes, nothing stored), the message budget of a large group,
练习赛 versus scored contests, and the 全委竞赛."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import TEST_BANK_NAME, RecordingChannel, enrol, group_chat, make_app
from sqlalchemy import text
from test_bot import advance, group_id, open_question, right, rows, say, scalar, split_step, total, wrong

from bot.messages import Incoming, Outgoing, Priority, Sender
from quizzes.standings import BranchResult, rank_branches


def tap(app, name: str, choice: str, key: str | None, group: str = "第一党支部") -> list[Outgoing]:
    return app.handle(Incoming(chat=group_chat(group), sender=Sender(name, name), text=choice,
                               message_id=f"tap-{name}-{choice}-{key}-{app.clock.now()}",
                               received_at=app.clock.now(), button=choice, question_key=key))


def make_admin(app, name: str) -> None:
    with app.db.session() as session:
        session.execute(text("UPDATE member SET role = 'admin' WHERE name = :name"), {"name": name})
        session.commit()
    app.dispatcher.forget_directory()


def answers_stored(app) -> list[tuple]:
    return rows(app, "SELECT m.name, a.question_index, a.answer FROM contest_answer a "
                     "JOIN member m ON m.id = a.member_id ORDER BY a.id")


# ----- whom a question waits for -----

def test_in_a_new_group_without_a_roster_the_starters_answer_does_not_close_the_question(app, clock):
    say(app, "张三", f"开始竞赛 {TEST_BANK_NAME} 2")
    question = open_question(app)
    assert say(app, "张三", right(question)) == ["张三 已作答第 1 题，答案揭晓前不可更改。"]
    advance(app, clock, 3)
    assert say(app, "李四", right(question)) == ["李四 已作答第 1 题，答案揭晓前不可更改。"]
    assert [(name, index) for name, index, _ in answers_stored(app)] == [("张三", 0), ("李四", 0)]


def test_a_guest_from_another_branch_never_keeps_a_question_open_nor_closes_it(app, clock):
    enrol(app, "张三", "李四")
    enrol(app, "王五", branch="第二党支部")
    say(app, "张三", f"开始竞赛 {TEST_BANK_NAME} 2")
    question = open_question(app)
    say(app, "王五", right(question))  # a guest: not one of those the question waits for
    say(app, "张三", right(question))
    assert app.contests.open_question(group_id(app)) == question  # 李四 has not answered yet
    [step] = say(app, "李四", wrong(question))
    assert step.startswith("⏰ 第 1 题答案：") and "答对 2 人" in step


@pytest.mark.parametrize(("who", "allowed"), [("张三", True), ("李四", False), ("赵管理", True)])
def test_next_question_is_for_the_starter_a_manager_or_an_admin(app, who, allowed):
    enrol(app, None, "张三", "李四")
    with app.db.session() as session:
        from bot.storage.branches import get_or_create_branch
        from bot.storage.people import upsert_member
        branch = get_or_create_branch(session=session, name="第二党支部")
        upsert_member(session=session, name="赵管理", branch_id=branch.id, role="admin",
                      identities={"local": "赵管理"}, now=app.clock.now())
        session.commit()
    say(app, "张三", f"开始竞赛 {TEST_BANK_NAME} 2")
    replies = say(app, who, "下一题")
    if allowed:
        assert split_step(replies[0])[1].startswith("📝 知识竞赛 第 2/2 题")
    else:
        assert replies == ["只有竞赛发起人、本支部的书记、委员或管理员可以切换到下一题。"]


# ----- taps: one policy, notes for the member alone -----

def test_taps_repeat_stale_forged_and_finished_get_private_notes_and_store_nothing(app, clock):
    enrol(app, "张三", "李四")
    say(app, "张三", f"开始竞赛 {TEST_BANK_NAME} 2")
    first = "contest:1:q0"
    [accepted] = tap(app, "张三", "A", first)
    assert (accepted.private_to, accepted.about, accepted.answer) == ("张三", first, "A")
    [repeat] = tap(app, "张三", "B", first)
    assert repeat.private_to == "张三" and repeat.answer == "A" and "以第一次作答为准" in repeat.text
    [step] = tap(app, "李四", "ABC", first)  # both on the roster answered: one message for the group
    assert not step.private_to and step.closes == first and step.key == "contest:1:q1"
    for key, says in [(first, "第 1 题已经结束"), ("contest:99:q1", "竞赛已经结束"), ("forged", "无法识别"),
                      ("contest:1:q7", "无法识别"), (None, "无法识别")]:
        [note] = tap(app, "李四", "对", key)
        assert note.private_to == "李四" and says in note.text and not note.answer
    assert [(n, i, a) for n, i, a in answers_stored(app)] == [("张三", 0, "A"), ("李四", 0, "ABC")]
    advance(app, clock, 60)  # the contest ends
    [late] = tap(app, "张三", "对", "contest:1:q1")
    assert late.private_to == "张三" and "竞赛已经结束" in late.text
    assert len(answers_stored(app)) == 2


def test_a_tap_in_another_group_on_this_groups_card_answers_nothing(app):
    enrol(app, "张三", "李四")
    say(app, "张三", f"开始竞赛 {TEST_BANK_NAME} 2")
    say(app, "王五", f"开始竞赛 {TEST_BANK_NAME} 2", group="第二党支部")
    [note] = tap(app, "王五", "A", "contest:1:q0", group="第二党支部")
    assert note.private_to == "王五" and "竞赛已经结束" in note.text
    assert answers_stored(app) == []


# ----- the message budget of a large group -----

def test_a_hundred_member_group_sees_the_question_one_progress_line_and_one_reveal(tmp_path, clock):
    channel = RecordingChannel()
    app = make_app(tmp_path, clock)
    app.add_channel(channel)
    app.start()
    try:
        members = [f"党员{i:03d}" for i in range(1, 100)]
        enrol(app, "张三", *members)
        group_visible = [r for r in app.handle(Incoming(chat=group_chat(), sender=Sender("张三", "张三"),
                         text=f"开始竞赛 {TEST_BANK_NAME} 2", message_id="start", received_at=clock.now()))]
        question = open_question(app)
        for i, name in enumerate(members[:40]):
            clock.set(clock.now() + timedelta(milliseconds=100))
            replies = say(app, name, right(question) if i % 3 else wrong(question))
            assert replies == []  # no line per answer in a group this size
        advance(app, clock, 7)  # halfway (5 s), then the deadline (10 s)
        progress = [m for m in channel.sent if m.priority is Priority.PROGRESS]
        assert [m.text for m in progress] == ["⏳ 第 1 题已有 40 人作答（应答 100 人），剩余 5 秒。"]
        steps = [m for m in channel.sent if m.priority is Priority.STEP]
        assert len(steps) == 1 and steps[0].text.startswith("⏰ 第 1 题答案：") and "第 2/2 题" in steps[0].text
        assert len(group_visible) == 2  # the intro and question 1
        advance(app, clock, 60)  # nobody answers question 2: no progress line for it
        assert len([m for m in channel.sent if m.priority is Priority.PROGRESS]) == 1
        assert len([m for m in channel.sent if m.priority is Priority.STEP]) == 2  # the answer and the results
        assert scalar(app, "SELECT count(*) FROM contest_answer") == 40  # every answer stored
    finally:
        app.close()


# ----- 练习赛 versus scored -----

def test_an_ordinary_members_contest_is_practice_and_awards_nothing(app, clock):
    enrol(app, "张三", "李四")
    [intro, _] = say(app, "李四", f"开始竞赛 {TEST_BANK_NAME} 1")
    assert "练习赛" in intro and "不计党建积分" in intro
    say(app, "张三", right(open_question(app)))
    [step] = say(app, "李四", right(open_question(app)))
    assert "本场为练习赛，成绩不计入党建积分。" in step
    assert (total(app, "张三"), total(app, "李四")) == (0, 0)
    assert scalar(app, "SELECT scored FROM contest") in (0, False)
    say(app, "张三", f"开始竞赛 {TEST_BANK_NAME} 1")  # the 书记's is scored
    say(app, "张三", right(open_question(app)))
    say(app, "李四", right(open_question(app)))
    assert total(app, "张三") == 1 and total(app, "李四") == 1  # one 党建积分 per correct answer


def test_scored_by_member_makes_every_contest_scored(tmp_path, clock):
    app = make_app(tmp_path, clock, quizzes={"scored_by": ["member"]})
    app.start()
    try:
        [intro, _] = say(app, "李四", f"开始竞赛 {TEST_BANK_NAME} 1")
        assert "发起了知识竞赛" in intro
    finally:
        app.close()


# ----- the 全委竞赛 -----

def test_standings_rank_branches_by_points_per_member_so_three_stars_do_not_win():
    table = rank_branches([BranchResult("三人支部", members=30, points=90, took_part=3),
                           BranchResult("全员支部", members=10, points=60, took_part=10),
                           BranchResult("空支部", members=5, points=0, took_part=0)])
    assert [(r.rank, r.branch, r.average, f"{r.participation:.0%}") for r in table] == [
        (1, "全员支部", 6.0, "100%"), (2, "三人支部", 3.0, "10%"), (3, "空支部", 0.0, "0%")]


def test_a_group_running_its_own_contest_is_told_and_skipped(app):
    enrol(app, "张三", "李四")
    enrol(app, "王五", "赵六", branch="第二党支部")
    make_admin(app, "张三")
    say(app, "王五", f"开始竞赛 {TEST_BANK_NAME} 2", group="第二党支部")
    replies = say(app, "张三", f"开始全委竞赛 {TEST_BANK_NAME} 2")
    assert replies[0] == "全委竞赛（编号 1）已在 1 个群开始；1 个群正在进行自己的竞赛，已跳过：第二党支部。"
    assert any("不在本群进行" in r for r in replies)
    assert scalar(app, "SELECT count(*) FROM contest WHERE round_id = 1") == 1


def test_a_restart_in_the_middle_of_a_round_resumes_every_group(tmp_path, clock):
    first = make_app(tmp_path, clock)
    first.add_channel(RecordingChannel())
    first.start()
    enrol(first, "张三", "李四")
    enrol(first, "王五", "赵六", branch="第二党支部")
    make_admin(first, "张三")
    say(first, "王五", "大家好", group="第二党支部")
    say(first, "张三", f"开始全委竞赛 {TEST_BANK_NAME} 2")
    say(first, "李四", right(open_question(first)))
    first.close()

    second = make_app(tmp_path, clock)
    channel = RecordingChannel()
    second.add_channel(channel)
    second.start()
    try:
        say(second, "赵六", right(open_question(second, "第二党支部")), group="第二党支部")
        advance(second, clock, 60)
        advance(second, clock, 60)
        standings = [m for m in channel.sent if m.text.startswith("🏁 全委竞赛支部排名")]
        assert sorted(m.chat.name for m in standings) == ["第一党支部", "第二党支部"]
        assert "人均 5 分，参与 1/2 人（50%）" in standings[0].text
        assert (total(second, "李四"), total(second, "赵六")) == (1, 1)
        assert scalar(second, "SELECT status FROM contest_round") == "finished"
    finally:
        second.close()


# ----- the schema upgrade -----

def test_a_version_3_database_gets_the_roster_flag_scored_contests_and_rounds(tmp_path):
    from sqlalchemy import create_engine, inspect

    from bot.storage.migrations.legacy import _STEPS
    engine = create_engine(f"sqlite:///{tmp_path}/v3.db")
    with engine.begin() as conn:  # the two tables as version 3 had them (columns that matter here)
        conn.exec_driver_sql("CREATE TABLE contest_round (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE member (id INTEGER PRIMARY KEY, name VARCHAR(100))")
        conn.exec_driver_sql("CREATE TABLE contest (id INTEGER PRIMARY KEY, bank VARCHAR(200))")
        conn.exec_driver_sql("INSERT INTO member (name) VALUES ('张三')")
        conn.exec_driver_sql("INSERT INTO contest (bank) VALUES ('党史')")
    with engine.begin() as conn:
        _STEPS[4](conn)
        _STEPS[4](conn)  # a second run finds the columns and does nothing
    assert {"rostered"} <= {c["name"] for c in inspect(engine).get_columns("member")}
    assert {"scored", "round_id"} <= {c["name"] for c in inspect(engine).get_columns("contest")}
    with engine.begin() as conn:
        # an old contest was scored; an old member is on no roster until it is imported again
        assert conn.exec_driver_sql("SELECT rostered FROM member").scalar_one() == 0
        assert conn.exec_driver_sql("SELECT scored, round_id FROM contest").one() == (1, None)
    engine.dispose()


def test_a_round_stopped_between_a_reveal_and_its_points_writes_them_at_the_next_start(tmp_path, clock):
    first = make_app(tmp_path, clock)
    channel = RecordingChannel()
    first.add_channel(channel)
    first.start()
    enrol(first, "张三", "李四")
    make_admin(first, "张三")
    say(first, "张三", f"开始全委竞赛 {TEST_BANK_NAME} 2")
    say(first, "李四", right(open_question(first)))
    advance(first, clock, 10)  # the deadline: the reveal goes out; the points would follow a moment later
    assert any("答对 1 人：李四（+" in m.text for m in channel.sent)
    assert total(first, "李四") == 0 and scalar(first, "SELECT settled FROM contest") == 0
    first.close()  # the bot stops before they are written

    second = make_app(tmp_path, clock)
    second.add_channel(RecordingChannel())
    second.start()
    try:
        assert total(second, "李四") > 0 and scalar(second, "SELECT settled FROM contest") == 1
        assert scalar(second, "SELECT count(*) FROM points_ledger WHERE reason = 'contest'") == 1
    finally:
        second.close()
