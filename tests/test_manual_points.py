"""Points by hand in chat (issue 16): 加分 and 扣分 by a 书记 or 委员 of the branch, 同意 by a different one, 不同意,
撤回, 撤销 and 待审积分; what the 支委 and the member read, what is stored (the request, its audit trail, the ledger and
the member's note), every bad input refused with nothing stored, and the ledger never changed in place."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from before_alembic import forget_alembic
from helpers import T0, RecordingChannel, group_msg, make_app, private_msg, texts
from sqlalchemy import inspect
from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.models import Member, OutboxRow, PointsEntry, PointsTotal
from bot.storage.models_points import PointsRequest, PointsRequestChange
from bot.storage.people import upsert_member
from bot.storage.requests import move_request

ONE, TWO = "第一党支部", "第二党支部"
ROSTER = {ONE: [("张三", "secretary"), ("李四", "committee"), ("王五", "member"), ("孙八", "member"),
                ("刘一", "member"), ("刘一", "member")],
          TWO: [("赵六", "secretary"), ("钱七", "member"), ("钱管理", "admin")]}
AWARD = "加分 王五 5 志愿服务 参加社区义务植树"
KINDS = "加分类别应为：志愿服务、先锋作用、学习、组织生活。"


def build(tmp_path: Path, database_url: str, **points: object) -> Iterator[App]:
    app = make_app(tmp_path, ManualClock(T0), database={"url": database_url}, points=points)
    app.add_channel(RecordingChannel())
    app.start()
    with app.db.session() as session:
        for branch_name, people in ROSTER.items():
            branch_id = get_or_create_branch(session=session, name=branch_name).id
            for name, role in people:
                upsert_member(session=session, name=name, branch_id=branch_id, role=role,
                              identities={} if name == "刘一" else {"local": name}, now=T0, match=name != "刘一")
        session.commit()
    yield app
    app.close()


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[App]:
    yield from build(tmp_path, database_url)


def say(app: App, name: str, words: str, group: str = ONE, message_id: str | None = None) -> list[str]:
    return texts(app.handle(group_msg(name, words, group, at=app.clock.now(), message_id=message_id)))


def privately(app: App, name: str, words: str) -> list[str]:
    return texts(app.handle(private_msg(name, words, at=app.clock.now())))


def rows(app: App, model) -> list:
    with app.db.session() as session:
        return list(session.exec(select(model).order_by(model.id)))


def ledger(app: App) -> list[tuple]:
    """Every ledger row, every column: what an edit in place would change."""
    return [tuple(row.model_dump().items()) for row in rows(app, PointsEntry)]


def total(app: App, name: str, key: str = "ALL") -> int:
    with app.db.session() as session:
        member = session.exec(select(Member).where(Member.name == name)).one()
        row = session.get(PointsTotal, (member.id, key))
        return row.points if row else 0


def member_id(app: App, name: str) -> int:
    with app.db.session() as session:
        return session.exec(select(Member.id).where(Member.name == name)).one()


def test_an_entry_needing_approval_counts_once_another_committee_member_agrees(app: App) -> None:
    [asked] = say(app, "李四", AWARD)
    assert asked == ("📝 已提出加分申请（编号 1）：王五 志愿服务 加 5 分，事由：参加社区义务植树。\n"
                     "需本支部另一位书记或委员发送「同意 1」后计入党建积分；待同意的申请可发送「待审积分」查看。")
    [request] = rows(app, PointsRequest)
    assert (request.status, request.amount, request.category, request.requested_by) == (
        "pending", 5, "service", member_id(app, "李四"))
    assert ledger(app) == [] and total(app, "王五") == 0

    [agreed] = say(app, "张三", "同意 1")
    assert agreed == "✅ 已同意编号 1：王五 志愿服务 加 5 分（李四提出，事由：参加社区义务植树）。已计入党建积分。"
    [entry] = rows(app, PointsEntry)
    assert (entry.member_id, entry.amount, entry.reason, entry.source, entry.category, entry.note) == (
        member_id(app, "王五"), 5, "manual", "request:1", "service", "参加社区义务植树")
    assert total(app, "王五") == 5 and total(app, "王五", "M2026-03/service") == 5
    [request] = rows(app, PointsRequest)
    assert (request.status, request.decided_by, request.decided_at) == ("approved", member_id(app, "张三"), T0)
    assert [(c.action, c.by_id) for c in rows(app, PointsRequestChange)] == [
        ("requested", member_id(app, "李四")), ("approved", member_id(app, "张三"))]
    [note] = [row for row in rows(app, OutboxRow) if row.key.startswith("points:")]
    assert (note.chat_id, note.is_group) == ("王五", False)
    assert note.text == ("📌 党建积分记录：第一党支部为您记志愿服务加分 5 分（编号 1），事由：参加社区义务植树。"
                         "发送「我的积分」查看。")
    assert "· 志愿服务 5 分（本月 5/20）" in privately(app, "王五", "我的积分")[0]


def test_a_second_agreement_books_nothing_more(app: App) -> None:
    say(app, "李四", AWARD)
    assert say(app, "张三", "同意 1", message_id="retry") != []
    assert say(app, "张三", "同意 1", message_id="retry") == []  # the platform's retry: the dispatcher drops it
    assert say(app, "张三", "同意 1") == ["编号 1 已由张三同意并生效，不需要再同意。"]
    assert say(app, "钱管理", "同意 1") == ["编号 1 已由张三同意并生效，不能再同意。"]
    assert len(rows(app, PointsEntry)) == 1 and total(app, "王五") == 5


@pytest.mark.parametrize(("who", "text", "group", "reply"), [
    ("王五", "加分 孙八 5 志愿服务 帮扶困难群众", ONE,
     "抱歉，只有书记、委员和管理员可以加分。如需调整，请联系本支部书记。"),
    ("李四", "加分 钱七 5 志愿服务 帮扶困难群众", ONE,
     "钱七是第二党支部的党员，您只能为本支部（第一党支部）的党员加分。"),
    ("李四", "加分 钱七 5 志愿服务 帮扶困难群众", TWO,
     "抱歉，这个群属于其他支部，您只能管理本支部的事务，不能在这里加分。请在本支部的群里发送，或私聊我。"),
    ("李四", "加分 王六 5 志愿服务 帮扶困难群众", ONE,
     "第一党支部的花名册中没有「王六」（是不是「王五」？），请核对姓名后重发。"),
    ("李四", "加分 刘一 5 志愿服务 帮扶困难群众", ONE,
     "第一党支部有 2 位党员名为「刘一」，无法区分；请在花名册中把姓名区分开（如 刘一（财务））后再加分。"),
    ("李四", "加分 王五 0 志愿服务 帮扶困难群众", ONE, "分值应为 1 到 20 之间的整数（如 5 或 五），「0」不是。"),
    ("李四", "加分 王五 -5 志愿服务 帮扶困难群众", ONE,
     "分值应为 1 到 20 之间的整数（如 5 或 五），「-5」不是；扣分请发送「扣分 …」。"),
    ("李四", "加分 王五 很多 志愿服务 帮扶困难群众", ONE, "分值应为 1 到 20 之间的整数（如 5 或 五），「很多」不是。"),
    ("李四", "扣分 王五 三十 无故缺席", ONE,
     "一次最多扣 20 分（points.manual_max），「三十」超出了；确需更多请分几条写明事由。"),
    ("李四", "加分 李四 5 志愿服务 帮扶困难群众", ONE, "不能为自己加分，请由本支部其他书记或委员提出。"),
])
def test_a_bad_entry_is_refused_and_nothing_is_stored(app: App, who: str, text: str, group: str, reply: str) -> None:
    say(app, who, "我的积分", group)  # the sender is known in the group (its branch)
    assert say(app, who, text, group) == [reply]
    assert rows(app, PointsRequest) == [] and ledger(app) == []


@pytest.mark.parametrize(("text", "first_line"), [
    ("加分 王五 5 志愿服务", "请写明加分事由。"),
    ("加分 王五 5", "请写明类别和事由。"),
    ("扣分 王五 2", "请写明扣分事由。"),
    ("扣分 王五 2 组织生活", "请写明扣分事由。"),
    ("加分 王五 5 答题 多答题", "「答题」由机器人按规则自动计分，不能手工加分。" + KINDS),
    ("加分 王五 5 参加植树", "「参加植树」不是可以手工加分的类别。" + KINDS),
    ("加分 王五 5 扣分 迟到", "「扣分」不是加分类别，扣分请发送「扣分 …」。" + KINDS),
    ("加分", "格式：加分 姓名 分值 类别 事由，例如：加分 王五 5 志愿服务 参加社区义务植树"),
])
def test_a_missing_reason_or_category_gets_the_format(app: App, text: str, first_line: str) -> None:
    [reply] = say(app, "李四", text)
    assert reply.splitlines()[0] == first_line
    assert "事由必须写明" in reply
    assert rows(app, PointsRequest) == []


def test_amounts_may_be_written_in_chinese_and_a_deduction_keeps_its_category_in_the_reason(app: App) -> None:
    say(app, "李四", "加分 王五 五 先锋作用 带头完成攻坚任务")
    say(app, "李四", "扣分 孙八 2分 组织生活 无故缺席支部党员大会")
    say(app, "李四", "扣分 王五 1 组织生活：学习笔记未按时提交")
    assert [(r.amount, r.category, r.reason) for r in rows(app, PointsRequest)] == [
        (5, "vanguard", "带头完成攻坚任务"), (-2, "penalty", "组织生活：无故缺席支部党员大会"),
        (-1, "penalty", "组织生活：学习笔记未按时提交")]
    [agreed] = say(app, "张三", "同意 2")
    assert agreed == "✅ 已同意编号 2：孙八 扣 2 分（李四提出，事由：组织生活：无故缺席支部党员大会）。已计入党建积分。"
    assert total(app, "孙八") == -2 and total(app, "孙八", "M2026-03/penalty") == -2


@pytest.mark.parametrize(("who", "text", "group", "reply"), [
    ("李四", "同意 1", ONE, "编号 1 是您提出的，需由本支部另一位书记或委员同意。"),
    ("王五", "同意 1", ONE, "抱歉，只有书记、委员和管理员可以同意积分申请。如需调整，请联系本支部书记。"),
    ("张三", "同意 9", ONE, "没有编号为 9 的积分申请；待同意的申请可发送「待审积分」查看。"),
    ("赵六", "同意 1", TWO, "编号 1 是第一党支部的积分申请，您只能同意本支部的申请。"),
    ("张三", "撤回 1", ONE, "编号 1 是李四提出的，只有提出人可以撤回；如不同意，请发送「不同意 1 理由」。"),
    ("张三", "撤销 1 重复", ONE, "编号 1 还在等待同意，尚未生效，不需要撤销：提出人可发送「撤回 1」，"
                              "其他支委可发送「不同意 1 理由」。"),
    ("李四", "不同意 1", ONE, "编号 1 是您提出的；不再需要请发送「撤回 1」。"),
])
def test_a_bad_decision_is_refused_and_the_request_still_waits(app: App, who: str, text: str, group: str,
                                                              reply: str) -> None:
    say(app, "李四", AWARD)
    say(app, who, "我的积分", group)
    assert say(app, who, text, group) == [reply]
    assert [r.status for r in rows(app, PointsRequest)] == ["pending"] and ledger(app) == []


def test_the_member_concerned_may_not_agree_to_their_own_points(app: App) -> None:
    say(app, "张三", "加分 李四 3 先锋作用 组织主题党日")
    assert say(app, "李四", "同意 1") == ["编号 1 是给您本人的，需由本支部其他书记或委员同意。"]
    assert say(app, "钱管理", "同意 1", TWO).pop().startswith("✅ 已同意编号 1：李四 先锋作用 加 3 分")


def test_rejected_and_withdrawn_requests_never_count_and_cannot_be_agreed_later(app: App) -> None:
    say(app, "李四", "扣分 王五 2 组织生活 无故缺席支部党员大会")
    say(app, "李四", AWARD)
    assert say(app, "张三", "不同意 1 已按规定请假") == [
        "已退回编号 1（王五 扣 2 分，事由：组织生活：无故缺席支部党员大会），不计入党建积分。退回理由：已按规定请假。"]
    assert say(app, "李四", "撤回 2") == [
        "已撤回编号 2（王五 志愿服务 加 5 分，事由：参加社区义务植树），不计入党建积分。"]
    assert say(app, "张三", "同意 1") == ["编号 1 已被张三退回（不同意），不能再同意。"]
    assert say(app, "张三", "同意 2") == ["编号 2 已由提出人撤回，不能再同意。"]
    assert [r.status for r in rows(app, PointsRequest)] == ["rejected", "withdrawn"] and ledger(app) == []
    assert [(c.action, c.note) for c in rows(app, PointsRequestChange)][2:] == [
        ("rejected", "已按规定请假"), ("withdrawn", "")]


def test_pending_requests_are_listed_to_the_requester_and_the_others(app: App) -> None:
    say(app, "李四", AWARD)
    say(app, "张三", "扣分 孙八 2 无故缺席支部党员大会")
    [seen] = say(app, "李四", "待审积分")
    assert seen.splitlines()[:3] == [
        "📋 本支部待同意的积分申请（2 条）：",
        "[1] 王五 志愿服务 加 5 分，事由：参加社区义务植树（李四 03月02日 09:00 提出）  ← 您提出的，需其他支委同意",
        "[2] 孙八 扣 2 分，事由：无故缺席支部党员大会（张三 03月02日 09:00 提出）"]
    assert say(app, "张三", "积分审核")[0].splitlines()[2].endswith("← 您提出的，需其他支委同意")
    assert say(app, "赵六", "待审积分", TWO) == ["本支部没有待同意的积分申请。"]
    assert privately(app, "钱管理", "待审积分")[0].splitlines()[1].startswith("[1] 第一党支部 王五")


def test_a_reversal_is_a_new_entry_and_the_old_one_stays_as_it_was(app: App) -> None:
    say(app, "李四", AWARD)
    say(app, "张三", "同意 1")
    before = ledger(app)
    assert say(app, "张三", "撤销 1") == ["请写明撤销事由，例如：撤销 1 重复记录"]
    app.clock.set(datetime(2026, 3, 2, 10, 0))  # type: ignore[attr-defined]
    assert say(app, "张三", "撤销 1 与编号 0 重复记录") == [
        "✅ 已撤销编号 1（王五 志愿服务 加 5 分）：另记一笔 -5 分冲减，原记录保留。撤销事由：与编号 0 重复记录。"]
    after = ledger(app)
    assert after[:1] == before
    undo = rows(app, PointsEntry)[1]
    assert (undo.amount, undo.source, undo.category, undo.note) == (
        -5, "request:1:undo", "service", "撤销：与编号 0 重复记录（张三）")
    assert total(app, "王五") == 0
    [request] = rows(app, PointsRequest)
    assert (request.status, request.decided_by) == ("reversed", member_id(app, "张三"))
    assert [(c.action, c.note, c.at) for c in rows(app, PointsRequestChange)][-1] == (
        "reversed", "与编号 0 重复记录", datetime(2026, 3, 2, 10, 0))
    assert say(app, "张三", "撤销 1 再来一次") == ["编号 1 已撤销，不需要再撤销。"]
    assert ledger(app) == after
    notes = [row.text for row in rows(app, OutboxRow) if row.key.startswith("points:1:reversed")]
    assert notes == ["📌 党建积分变更：第一党支部撤销了编号 1 的志愿服务加分（事由：参加社区义务植树），扣回 5 分。"
                     "撤销事由：与编号 0 重复记录。发送「我的积分」查看。"]


def test_a_deduction_reversed_gives_the_points_back(app: App) -> None:
    say(app, "李四", "扣分 王五 3 无故缺席支部党员大会")
    say(app, "张三", "同意 1")
    [undone] = say(app, "李四", "撤销 1 经核实已请假")
    assert undone.startswith("✅ 已撤销编号 1（王五 扣 3 分）：另记一笔 +3 分退还")
    assert [e.amount for e in rows(app, PointsEntry)] == [-3, 3] and total(app, "王五") == 0


def test_the_monthly_cap_on_volunteer_service_is_reported(app: App) -> None:
    for text in ("加分 王五 15 志愿服务 社区服务", "加分 王五 10 志愿服务 防汛值守", "加分 王五 5 志愿服务 义务献血"):
        say(app, "李四", text)
    say(app, "张三", "同意 1")
    assert say(app, "张三", "同意 2") == [
        "✅ 已同意编号 2：王五 志愿服务 加 10 分（李四提出，事由：防汛值守）。"
        "因王五已接近志愿服务积分上限（每月 20 分），实计 5 分，另 5 分超出上限，未计入。"]
    [full] = say(app, "张三", "同意 3")
    assert full.endswith("王五已达志愿服务积分上限（每月 20 分），这 5 分未计入党建积分（记录保留）。")
    assert [(e.amount, e.withheld) for e in rows(app, PointsEntry)] == [(15, 0), (5, 5), (0, 5)]
    assert total(app, "王五") == 20
    assert "（另有 5 分超出积分上限，未计入）" in [r.text for r in rows(app, OutboxRow)][1]


def test_without_approval_an_entry_counts_at_once(tmp_path: Path, database_url: str) -> None:
    for app in build(tmp_path, database_url, approval=False):
        assert say(app, "李四", AWARD) == [
            "✅ 已记加分（编号 1）：王五 志愿服务 加 5 分，事由：参加社区义务植树。已计入党建积分。"]
        [request] = rows(app, PointsRequest)
        assert (request.status, request.decided_by) == ("approved", None)
        assert [e.source for e in rows(app, PointsEntry)] == ["request:1"] and total(app, "王五") == 5
        assert say(app, "张三", "同意 1") == ["编号 1 已生效，不能再同意。"]


def test_an_admin_acts_in_any_branch(app: App) -> None:
    assert privately(app, "钱管理", AWARD)[0].startswith("📝 已提出加分申请（编号 1）：王五")
    [wang] = [m for m in rows(app, Member) if m.name == "王五"]
    assert [r.branch_id for r in rows(app, PointsRequest)] == [wang.branch_id]
    assert say(app, "张三", "同意 1")[0].startswith("✅ 已同意编号 1")


def test_talk_that_starts_with_the_words_is_not_a_command(app: App) -> None:
    say(app, "李四", AWARD)
    for who, text in (("王五", "同意"), ("王五", "同意楼上的意见"), ("张三", "同意！"), ("孙八", "加分项有哪些"),
                      ("孙八", "撤回"), ("王五", "扣分标准是什么")):
        assert say(app, who, text) == [], text
    assert privately(app, "张三", "同意")[0].startswith("请写积分申请的编号，例如：同意 3")
    assert [r.status for r in rows(app, PointsRequest)] == ["pending"]


def test_help_lists_the_commands_for_committee_members(app: App) -> None:
    [shown] = say(app, "王五", "帮助")
    managers = next(line for line in shown.splitlines() if line.startswith("书记、委员还可以："))
    assert all(word in managers for word in ("加分", "扣分", "同意", "不同意", "撤回", "撤销", "待审积分"))
    assert say(app, "王五", "帮助 同意") == [
        "「同意」：（书记、委员）同意另一位支委提出的加分、扣分，使其计入党建积分\n例：同意 3"]


def test_only_one_of_two_racing_agreements_moves_the_request(app: App) -> None:
    """Two 支委 (or two instances) agreeing at once: the status moves once, so the points are booked once."""
    say(app, "李四", AWARD)
    with app.db.session() as session:
        first = move_request(session=session, request_id=1, old="pending", new="approved", by_id=1, now=T0)
        second = move_request(session=session, request_id=1, old="pending", new="approved", by_id=2, now=T0)
        session.rollback()
    assert (first, second) == (True, False)


def test_a_database_from_before_gets_the_audit_table_at_start(app: App) -> None:
    with app.db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE points_request_change")
        forget_alembic(conn)  # made before Alembic (its schema_version stayed 9)
    app.db.create_schema()
    assert inspect(app.db.engine).has_table("points_request_change")
