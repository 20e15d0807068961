"""请假 and 补记 in chat (issue 15): what members and secretaries read, what is stored (attendance, the
attendance_change audit trail, the points ledger), and every bad input refused with nothing changed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from helpers import T0, group_msg, private_msg, texts
from sqlmodel import select

from bot.app import App
from bot.storage.branches import get_or_create_branch
from bot.storage.models import AttendanceRow, Member, PointsEntry, PointsTotal
from bot.storage.models_records import AttendanceChange
from bot.storage.people import upsert_member

GROUP = "第一党支部"
START = datetime(2026, 3, 10, 14, 30)
TITLE = "支部党员大会（编号 1，3月10日 14:30）"
ROSTER = {"第一党支部": [("张三", "secretary"), ("李四", "member"), ("王五", "member"), ("孙八", "member")],
          "第二党支部": [("赵六", "secretary"), ("钱七", "member")]}


def say(app: App, name: str, words: str, group: str = GROUP) -> list[str]:
    return texts(app.handle(group_msg(name, words, group, at=app.clock.now())))


def say_privately(app: App, name: str, words: str) -> list[str]:
    return texts(app.handle(private_msg(name, words, at=app.clock.now())))


@pytest.fixture
def branch(app: App) -> App:
    """Two branches on the roster; 第一党支部's 书记 张三 has arranged a 党员大会 (编号 1) for 3月10日 14:30."""
    with app.db.session() as session:
        for branch_name, people in ROSTER.items():
            branch_id = get_or_create_branch(session=session, name=branch_name).id
            for name, role in people:
                upsert_member(session=session, name=name, branch_id=branch_id, role=role, identities={"local": name},
                              now=T0)
        session.commit()
    [added] = say(app, "张三", "安排会议 党员大会 2026-03-10 14:30 三楼会议室")
    assert added.startswith("✅ 已安排支部党员大会（编号 1）")
    return app


def at(app: App, when: datetime) -> None:
    app.clock.set(when)


def member_id(app: App, name: str) -> int:
    with app.db.session() as session:
        found = session.exec(select(Member).where(Member.name == name)).one()
        assert found.id is not None
        return found.id


def attendance(app: App) -> dict[str, tuple[str, str, str]]:
    """name -> (status, reason, recorded_by) for meeting 1."""
    with app.db.session() as session:
        return {name: (row.status, row.reason, row.recorded_by) for row, name in session.exec(
            select(AttendanceRow, Member.name).join(Member, Member.id == AttendanceRow.member_id))}


def changes(app: App) -> list[tuple[str, str, str, str, str]]:
    """(name, old, new, reason, by) in order."""
    with app.db.session() as session:
        return [(name, c.old_status, c.new_status, c.reason, c.changed_by) for c, name in session.exec(
            select(AttendanceChange, Member.name).join(Member, Member.id == AttendanceChange.member_id)
            .order_by(AttendanceChange.id))]


def ledger(app: App) -> list[tuple[str, int, str, datetime]]:
    with app.db.session() as session:
        return [(name, p.amount, p.source, p.created_at) for p, name in session.exec(
            select(PointsEntry, Member.name).join(Member, Member.id == PointsEntry.member_id).order_by(PointsEntry.id))]


def total(app: App, name: str, key: str = "ALL") -> int:
    with app.db.session() as session:
        row = session.get(PointsTotal, (member_id(app, name), key))
        return row.points if row else 0


# ----- 请假 -----

def test_a_member_asks_for_leave_before_the_meeting_and_may_change_the_reason(branch: App) -> None:
    app = branch
    assert say(app, "李四", "请假 出差") == [f"✅ 已记录 李四 请假：{TITLE}，原因：出差。"]
    assert say_privately(app, "李四", "请假 1 出差") == [f"李四 已为{TITLE}请假，原因：出差，没有改动。"]
    assert say(app, "李四", "请假 1 到市委党校学习") == [
        f"✅ 已更新 李四 的请假原因：{TITLE}，原因：到市委党校学习（原为：出差）。"]
    assert attendance(app) == {"李四": ("leave", "到市委党校学习", "")}
    assert changes(app) == [("李四", "", "leave", "出差", "本人"), ("李四", "leave", "leave", "到市委党校学习", "本人")]
    assert ledger(app) == []


def test_leave_after_the_start_is_refused_and_points_to_the_secretary(branch: App) -> None:
    app = branch
    say(app, "张三", "安排会议 党课 2026-03-20 15:00")
    at(app, START + timedelta(minutes=10))
    assert say(app, "李四", "请假 1 生病") == [
        f"{TITLE}已经开始，不能再请假。如确有原因未能参加，请联系书记或委员补记。"]
    assert say(app, "李四", "请假 生病") == [
        f"{TITLE}已经开始，不能再请假。如确有原因未能参加，请联系书记或委员补记。\n"
        "如要为下一次会议党课（编号 2，3月20日 15:00）请假，请发送：请假 2 原因"]
    assert attendance(app) == {} and changes(app) == []


def test_leave_bad_input_changes_nothing(branch: App) -> None:
    app = branch
    assert say(app, "李四", "请假") == [
        "请写明请假原因，例如：请假 出差（为本支部的下一次会议请假），或：请假 3 出差（编号见「会议」）。"]
    assert say(app, "李四", "请假 1") == ["请写明请假原因，例如：请假 1 出差。"]
    assert say(app, "李四", "请假 9 出差") == ["本支部没有编号为 9 的会议。发送「会议」查看。"]
    assert say(app, "钱七", "请假 1 出差", group="第二党支部") == ["本支部没有编号为 1 的会议。发送「会议」查看。"]
    assert say(app, "钱七", "请假 出差", group="第二党支部") == ["本支部近期没有安排会议，不需要请假。"]
    assert say(app, "李四", "请假条怎么写") == []
    assert say_privately(app, "周九", "请假 出差") == [
        "机器人还不知道您属于哪个支部，请在本支部的群里发送「请假 原因」。"]
    at(app, START - timedelta(minutes=10))  # 签到 opens 30 minutes before
    assert say(app, "李四", "签到")[0].startswith("✅ 李四 已签到")
    assert say(app, "李四", "请假 1 有事") == [f"李四 已签到{TITLE}，不能再请假。如有变动，请联系书记或委员补记。"]
    assert attendance(app) == {"李四": ("present", "", "")}
    assert changes(app) == [("李四", "", "present", "签到", "本人")]


def test_a_member_on_leave_who_comes_after_all_signs_in_and_gets_the_points(branch: App) -> None:
    app = branch
    say(app, "李四", "请假 出差")
    at(app, START)
    assert say(app, "李四", "签到") == ["✅ 李四 已签到：支部党员大会（3月10日 14:30），获得 5 分。"]
    assert say(app, "李四", "签到") == ["李四 已签到过支部党员大会，无需重复签到。"]
    assert attendance(app) == {"李四": ("present", "签到", "")}
    assert changes(app) == [("李四", "", "leave", "出差", "本人"), ("李四", "leave", "present", "签到", "本人")]
    assert [(n, a) for n, a, _, _ in ledger(app)] == [("李四", 5)]


# ----- 补记 -----

def test_a_secretary_records_attendance_after_the_meeting_once(branch: App) -> None:
    app = branch
    at(app, START + timedelta(days=1))  # the sign-in has long closed
    assert say(app, "张三", "补记 1 王五、孙八") == [
        f"✅ 已补记{TITLE}：\n· 王五：出席（原为缺席），获得 5 分\n· 孙八：出席（原为缺席），获得 5 分"]
    assert attendance(app) == {"王五": ("present", "", "张三"), "孙八": ("present", "", "张三")}
    assert changes(app) == [("王五", "", "present", "", "张三"), ("孙八", "", "present", "", "张三")]
    wang = member_id(app, "王五")
    sun = member_id(app, "孙八")
    assert [(n, a, s) for n, a, s, _ in ledger(app)] == [("王五", 5, f"1:{wang}"), ("孙八", 5, f"1:{sun}")]
    # the same again: said so, nothing written
    assert say(app, "张三", "补记 1 王五") == ["王五 已记为出席，没有改动。"]
    assert say_privately(app, "张三", "补记 1 王五 李四") == [
        f"✅ 已补记{TITLE}：\n· 李四：出席（原为缺席），获得 5 分\n王五 已记为出席，没有改动。"]
    assert len(changes(app)) == 3 and len(ledger(app)) == 3 and total(app, "王五") == 5


def test_a_signed_in_member_is_not_paid_again_by_a_record(branch: App) -> None:
    app = branch
    at(app, START)
    say(app, "李四", "签到")
    at(app, START + timedelta(hours=3))
    assert say(app, "张三", "补记 1 李四") == ["李四 已记为出席，没有改动。"]
    assert [(n, a) for n, a, _, _ in ledger(app)] == [("李四", 5)]


def test_a_wrong_sign_in_is_corrected_and_its_points_taken_back(branch: App) -> None:
    app = branch
    at(app, START)
    say(app, "李四", "签到")
    at(app, datetime(2026, 4, 1, 9, 0))  # corrected next month: March loses the points, April is untouched
    [reply] = say(app, "张三", "补记 1 缺席 李四 误签")
    assert reply == f"✅ 已补记{TITLE}：\n· 李四：缺席（原为出席），原因：误签，扣回 5 分"
    assert attendance(app) == {}
    [*_, (name, old, new, reason, by)] = changes(app)
    assert (name, old, new, reason, by) == ("李四", "present", "", "误签", "张三")
    li = member_id(app, "李四")
    with app.db.session() as session:
        change_id = session.exec(select(AttendanceChange.id).order_by(AttendanceChange.id.desc())).first()
    assert ledger(app) == [("李四", 5, f"1:{li}", START), ("李四", -5, f"1:{li}:{change_id}", START)]
    assert total(app, "李四") == 0 and total(app, "李四", "M2026-03") == 0 and total(app, "李四", "M2026-04") == 0
    assert say(app, "张三", "补记 1 缺席 李四") == ["李四 已记为缺席，没有改动。"]
    # a correction corrected: present again, paid again under a source of its own
    assert say(app, "张三", "补记 1 李四")[0].endswith("· 李四：出席（原为缺席），获得 5 分")
    assert total(app, "李四") == 5 and len(ledger(app)) == 3


def test_a_sign_in_after_a_correction_is_not_told_of_points_it_does_not_get(branch: App) -> None:
    app = branch
    at(app, START)
    say(app, "李四", "签到")
    at(app, START + timedelta(minutes=30))  # corrected while the sign-in window is still open
    say(app, "张三", "补记 1 缺席 李四 误签")
    [reply] = say(app, "李四", "签到")
    assert reply.endswith("（本次会议的积分已由书记处理过，不再计分）。") and "获得" not in reply
    assert total(app, "李四") == 0


def test_a_record_marks_observers_and_leave(branch: App) -> None:
    app = branch
    at(app, START + timedelta(hours=3))
    assert say(app, "张三", "补记 1 列席 王五 钱七") == [
        f"✅ 已补记{TITLE}：\n· 王五：列席（原为缺席）\n· 钱七：列席（原为缺席）"]
    assert say(app, "张三", "补记 1 请假 李四 孙八 家中有事 请假半天") == [
        f"✅ 已补记{TITLE}：\n· 李四：请假（原为缺席），原因：家中有事 请假半天\n"
        "· 孙八：请假（原为缺席），原因：家中有事 请假半天"]
    leave = ("leave", "家中有事 请假半天", "张三")
    assert attendance(app) == {"王五": ("observer", "", "张三"), "钱七": ("observer", "", "张三"),
                               "李四": leave, "孙八": leave}
    assert ledger(app) == []
    # an observer who was in fact a participant: present, with the points
    assert say(app, "张三", "补记 1 王五")[0].endswith("· 王五：出席（原为列席），获得 5 分")
    assert say(app, "张三", "补记 1 列席 王五")[0].endswith("· 王五：列席（原为出席），扣回 5 分")
    assert total(app, "王五") == 0


def test_the_audit_trail_keeps_every_change(branch: App) -> None:
    app = branch
    say(app, "李四", "请假 出差")
    at(app, START)
    say(app, "王五", "签到")
    at(app, START + timedelta(hours=3))
    say(app, "张三", "补记 1 李四")
    say(app, "张三", "补记 1 缺席 王五 提前离会")
    assert changes(app) == [("李四", "", "leave", "出差", "本人"), ("王五", "", "present", "签到", "本人"),
                            ("李四", "leave", "present", "", "张三"), ("王五", "present", "", "提前离会", "张三")]


# ----- 补记: bad input, nothing changed -----

def nothing_changed(app: App) -> None:
    assert attendance(app) == {} and changes(app) == [] and ledger(app) == []


def test_only_managers_record(branch: App) -> None:
    at(branch, START + timedelta(hours=3))
    assert say(branch, "李四", "补记 1 李四") == [
        "抱歉，只有书记、委员和管理员可以补记出勤。如需调整，请联系本支部书记。"]
    nothing_changed(branch)


def test_a_secretary_cannot_record_another_branchs_meeting(branch: App) -> None:
    at(branch, START + timedelta(hours=3))
    assert say_privately(branch, "赵六", "补记 1 钱七") == [
        "编号 1 的会议是第一党支部的，您只能补记本支部的会议。本支部还没有已开始的会议。"]
    assert say(branch, "赵六", "补记 1 李四")[0].startswith("抱歉，这个群属于其他支部")
    nothing_changed(branch)


def test_unknown_names_are_named_with_close_ones_and_nothing_is_recorded(branch: App) -> None:
    at(branch, START + timedelta(hours=3))
    assert say(branch, "张三", "补记 1 王五 李死 钱七 周九") == [
        "第一党支部的花名册中没有：李死（是不是「李四」？）、钱七（在第二党支部，如为列席请写：列席 钱七）、周九。"
        "没有补记任何人，请核对姓名后重发。"]
    [leave] = say(branch, "张三", "补记 1 请假 李死 出差")
    assert leave.startswith("第一党支部的花名册中没有：李死（是不是「李四」？）")
    nothing_changed(branch)


@pytest.mark.parametrize("words, reply", [
    ("补记 1 请假 李四", "请写明请假原因，例如：补记 1 请假 李四 出差"),
    ("补记 9 李四", "本支部没有编号为 9 的会议。本支部最近的会议：\n[1] 3月10日（周二）14:30 支部党员大会，三楼会议室"),
    ("补记 李四", "格式：补记 编号 姓名…，例如：补记 3 张三 李四；还可以写：补记 3 请假 李四 出差、补记 3 列席 王五、"
                "补记 3 缺席 张三（更正误签）。\n"
                "本支部最近的会议：\n[1] 3月10日（周二）14:30 支部党员大会，三楼会议室"),
    ("补记 1 列席", "格式：补记 编号 姓名…，例如：补记 3 张三 李四；还可以写：补记 3 请假 李四 出差、补记 3 列席 王五、"
                  "补记 3 缺席 张三（更正误签）。"),
])
def test_bad_records_are_refused(branch: App, words: str, reply: str) -> None:
    at(branch, START + timedelta(hours=3))
    assert say(branch, "张三", words) == [reply]
    nothing_changed(branch)


def test_a_record_before_the_start_or_of_a_cancelled_meeting_is_refused(branch: App) -> None:
    assert say(branch, "张三", "补记 1 李四") == [
        f"{TITLE}还没有开始，开始后才能补记。会前请假由本人发送「请假 1 原因」。"]
    say(branch, "张三", "取消会议 1")
    at(branch, START + timedelta(hours=3))
    assert say(branch, "张三", "补记 1 李四") == ["编号 1 的支部党员大会已取消，不需要补记。"]
    nothing_changed(branch)


def test_help_shows_how_to_record(branch: App) -> None:
    assert say(branch, "李四", "帮助 补记") == [
        "「补记」：（书记、委员）会后补记出席、请假、列席，或更正签到\n"
        "例：补记 3 张三 李四；补记 3 请假 李四 出差；补记 3 列席 王五；补记 3 缺席 张三"]
    assert say(branch, "李四", "帮助 请假") == [
        "「请假」：会前请假，写明原因（不写编号即本支部的下一次会议）\n例：请假 3 出差"]
