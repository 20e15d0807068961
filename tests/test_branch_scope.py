"""Whose branch a manager command acts on: the probe's role attempts as regression tests.

A 书记 or 委员 manages their own branch (the 支部 in the roster): in their branch's groups and privately, never in
another branch's group and never another branch's meeting or push by its number. A 管理员 manages every branch:
in a group, the group's branch; privately, their own; any meeting or push by its number. An ordinary member
manages nothing, in a group or privately."""

from __future__ import annotations

import pytest
from helpers import T0, TEST_BANK_NAME, group_msg, private_msg, texts
from sqlmodel import select

from bot.app import App
from bot.storage.branches import get_or_create_branch
from bot.storage.models import Branch, MeetingRow, ScheduledPush
from bot.storage.people import upsert_member

FIRST, SECOND = "第一党支部", "第二党支部"
MANAGERS_ONLY = "抱歉，只有书记、委员和管理员可以{}。如需调整，请联系本支部书记。"
OTHER_BRANCH = "抱歉，这个群属于其他支部，您只能管理本支部的事务，不能在这里{}。请在本支部的群里发送，或私聊我。"

# every manager command, with the words of its refusal
MANAGER_COMMANDS = [
    ("安排会议 支委会 2026-03-12 14:30 三楼会议室", "安排会议"),
    ("修改会议 1 2026-03-11 09:30", "修改会议"),
    ("取消会议 1", "取消会议"),
    ("签到情况", "查看签到情况"),
    ("安排推送 三会一课制度要点 每周三 09:00", "安排学习推送"),
    ("取消推送 1", "取消学习推送"),
]


def in_group(app: App, name: str, words: str, group: str = FIRST) -> list[str]:
    return texts(app.handle(group_msg(name, words, group, at=app.clock.now())))


def privately(app: App, name: str, words: str) -> list[str]:
    return texts(app.handle(private_msg(name, words, at=app.clock.now())))


@pytest.fixture
def roster(app: App) -> App:
    """第一党支部: 张三 (书记), 钱委员 (委员), 李四; 第二党支部: 王书记 (书记), 孙委员 (委员); 赵管理 (管理员 of
    第二党支部). 第一党支部 has meeting 1 and push 1, arranged by 张三 in its group."""
    people = [("张三", FIRST, "secretary"), ("钱委员", FIRST, "committee"), ("李四", FIRST, "member"),
              ("王书记", SECOND, "secretary"), ("孙委员", SECOND, "committee"), ("赵管理", SECOND, "admin")]
    with app.db.session() as session:
        for name, branch, role in people:
            row = get_or_create_branch(session=session, name=branch)
            upsert_member(session=session, name=name, branch_id=row.id, role=role, identities={"local": name}, now=T0)
        session.commit()
    in_group(app, "王书记", "大家好", SECOND)  # the bot learns 第二党支部's group
    [meeting] = in_group(app, "张三", "安排会议 支委会 2026-03-10 14:30 三楼会议室")
    assert meeting.startswith("✅ 已安排支部委员会会议（编号 1）")
    assert in_group(app, "张三", "安排推送 三会一课制度要点 每周三 09:00")[0].startswith("✅ 已安排推送（编号 1）")
    return app


def meetings_and_pushes(app: App) -> list[tuple[str, ...]]:
    """What is stored: each meeting and push with its branch, time and whether it is cancelled."""
    with app.db.session() as session:
        names = {b.id: b.name for b in session.exec(select(Branch))}
        meetings = [("会议", names[m.branch_id], f"{m.start_at:%m-%d %H:%M}", str(m.cancelled_at is not None))
                    for m in session.exec(select(MeetingRow).order_by(MeetingRow.id))]
        pushes = [("推送", names[p.branch_id], p.when_text, str(p.cancelled_at is not None))
                  for p in session.exec(select(ScheduledPush).order_by(ScheduledPush.id))]
    return meetings + pushes


BEFORE = [("会议", FIRST, "03-10 14:30", "False"), ("推送", FIRST, "每周三 09:00", "False")]


@pytest.mark.parametrize(("words", "what"), MANAGER_COMMANDS)
def test_an_ordinary_member_is_refused_every_manager_command_in_a_group_and_privately(roster, words, what):
    assert in_group(roster, "李四", words) == [MANAGERS_ONLY.format(what)]
    assert privately(roster, "李四", words) == [MANAGERS_ONLY.format(what)]
    assert meetings_and_pushes(roster) == BEFORE


@pytest.mark.parametrize("manager", ["王书记", "孙委员"])
@pytest.mark.parametrize(("words", "what"), MANAGER_COMMANDS)
def test_a_manager_of_another_branch_is_refused_every_manager_command_in_its_group(roster, manager, words, what):
    assert in_group(roster, manager, words) == [OTHER_BRANCH.format(what)]
    assert meetings_and_pushes(roster) == BEFORE


@pytest.mark.parametrize("manager", ["王书记", "孙委员"])
def test_privately_a_manager_of_another_branch_reaches_only_their_own_branch(roster, manager):
    assert privately(roster, manager, "取消会议 1") == ["本支部没有编号为 1 的会议。发送「会议」查看。"]
    assert privately(roster, manager, "修改会议 1 2026-03-11 09:30") == [
        "本支部没有编号为 1 的会议。发送「会议」查看。"]
    assert privately(roster, manager, "取消推送 1") == ["本支部没有编号为 1 的推送安排。发送「推送计划」查看。"]
    assert meetings_and_pushes(roster) == BEFORE
    assert privately(roster, manager, "安排会议 党课 2026-03-12 15:00")[0].startswith("✅ 已安排党课（编号 2）")
    assert privately(roster, manager, "安排推送 三会一课制度要点 每周四 09:00")[0].startswith("✅ 已安排推送（编号 2）")
    assert meetings_and_pushes(roster) == [BEFORE[0], ("会议", SECOND, "03-12 15:00", "False"), BEFORE[1],
                                           ("推送", SECOND, "每周四 09:00", "False")]
    roster.clock.set(T0.replace(day=10, hour=14, minute=40))  # 第一党支部's meeting is under way
    assert privately(roster, manager, "签到情况") == ["本支部还没有开始的会议。"]
    assert in_group(roster, "张三", "签到情况")[0].startswith("📝 支部委员会会议（3月10日 14:30）签到 0/")


def test_a_committee_member_manages_their_own_branch(roster):
    [moved] = in_group(roster, "钱委员", "修改会议 1 2026-03-11 09:30")
    assert moved.startswith("✅ 已修改（编号 1）")
    assert privately(roster, "钱委员", "取消推送 1")[0].startswith("已取消推送（编号 1）")
    assert meetings_and_pushes(roster) == [
        ("会议", FIRST, "03-11 09:30", "False"), ("推送", FIRST, "每周三 09:00", "True")]


def test_an_admin_manages_any_branch(roster):
    [moved] = privately(roster, "赵管理", "修改会议 1 2026-03-11 09:30")
    assert moved.startswith("✅ 已修改（编号 1）")
    [arranged] = in_group(roster, "赵管理", "安排会议 党课 2026-03-12 15:00")
    assert arranged.startswith("✅ 已安排党课（编号 2）")
    assert in_group(roster, "赵管理", "取消推送 1", SECOND)[0].startswith("已取消推送（编号 1）")
    assert in_group(roster, "赵管理", "取消会议 1", SECOND)[0].startswith("已取消支部委员会会议（编号 1）")
    [pushed] = privately(roster, "赵管理", "安排推送 三会一课制度要点 每周四 09:00")
    assert pushed.startswith("✅ 已安排推送（编号 2）")
    assert meetings_and_pushes(roster) == [
        ("会议", FIRST, "03-11 09:30", "True"), ("会议", FIRST, "03-12 15:00", "False"),
        ("推送", FIRST, "每周三 09:00", "True"), ("推送", SECOND, "每周四 09:00", "False")]


# ----- 结束竞赛 -----

def start(app: App) -> None:
    replies = in_group(app, "李四", f"开始竞赛 {TEST_BANK_NAME} 3")
    assert any("发起了练习赛" in r for r in replies), replies  # 李四 is an ordinary member


@pytest.mark.parametrize("name", ["王书记", "孙委员"])
def test_a_manager_of_another_branch_may_not_end_a_contest(roster, name):
    start(roster)
    assert in_group(roster, name, "结束竞赛") == ["只有竞赛发起人、本支部的书记、委员或管理员可以结束竞赛。"]
    assert privately(roster, name, "结束竞赛") == ["结束竞赛需要在群里进行。"]
    assert "🛑 竞赛已提前结束" in in_group(roster, "张三", "结束竞赛")[0]


@pytest.mark.parametrize("name", ["张三", "钱委员", "赵管理"])
def test_the_branch_secretary_a_committee_member_or_an_admin_may_end_a_contest(roster, name):
    start(roster)
    assert in_group(roster, "王五", "结束竞赛") == ["只有竞赛发起人、本支部的书记、委员或管理员可以结束竞赛。"]
    assert "🛑 竞赛已提前结束" in in_group(roster, name, "结束竞赛")[0]


def test_an_admin_of_no_branch_is_asked_to_use_a_branch_group_privately(roster):
    from bot.storage.models import Member
    from bot.storage.people import register_member

    with roster.db.session() as session:
        admin = register_member(session=session, channel="local", external_id="周管理", name="周管理", branch_id=None,
                                now=T0)
        session.get(Member, admin.id).role = "admin"
        session.commit()
    assert privately(roster, "周管理", "安排推送 三会一课制度要点 每周四 09:00") == [
        "请在本支部的群里安排推送，机器人才知道推送给哪个支部的群。"]
    assert privately(roster, "周管理", "安排会议 党课 2026-03-12 15:00") == [
        "请在本支部的群里安排会议，机器人才知道是哪个支部的会议。"]
    assert meetings_and_pushes(roster) == BEFORE
    [arranged] = in_group(roster, "周管理", "安排推送 三会一课制度要点 每周四 09:00", SECOND)
    assert arranged.startswith("✅ 已安排推送（编号 2）")
