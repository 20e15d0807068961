"""Who is expected at a meeting, in the chat and for the reports (issue 15): a 支委会 expects the 支部委员, a 党小组会
its 小组, the other meetings every 正式 and 预备 党员; the list is frozen when the meeting starts; a sign-in by
someone not expected is 列席 (recorded, no points, not in the rate); 签到情况 and the rate count the expected."""

from __future__ import annotations

from datetime import datetime

import pytest
from helpers import group_msg, texts
from sqlmodel import select

from bot.app import App
from bot.services.expected import attendance_of, expected_for, quorum_problem
from bot.services.roster import import_roster
from bot.services.roster_file import RosterRow
from bot.storage.models import AttendanceRow, MeetingRow, Member, PointsEntry
from bot.storage.models_records import ExpectedAttendee
from scheduler.meetings import position_role

BRANCH = "第一党支部"
# name, category, position (the role follows from it), 小组
PEOPLE = [("张三", "full", "书记", "第一党小组"), ("钱委员", "full", "组织委员", "第一党小组"),
          ("孙副", "full", "副书记", "第二党小组"), ("李四", "full", "", "第一党小组"),
          ("王五", "probationary", "", "第二党小组"), ("赵六", "activist", "", "第二党小组")]


def enrol(app: App, people: list[tuple[str, str, str, str]]) -> None:
    rows = [RosterRow(number, name, BRANCH, position_role(position), {"local": name}, category, position, group, True)
            for number, (name, category, position, group) in enumerate(people, start=2)]
    import_roster(app.db, rows=rows, now=app.clock.now(), label="名册.csv", sleep=lambda _: None)
    app.dispatcher.forget_directory()


@pytest.fixture
def branch(app: App) -> App:
    enrol(app, PEOPLE)
    return app


def say(app: App, name: str, words: str, at: datetime) -> str:
    app.clock.set(at)
    [reply] = texts(app.handle(group_msg(name, words, BRANCH, at=at)))
    return reply


def meeting(app: App, number: int) -> MeetingRow:
    with app.db.session() as session:
        row = session.get(MeetingRow, number)
        assert row is not None
        return row


def expected_names(app: App, number: int, now: datetime) -> list[str]:
    with app.db.session() as session:
        row = session.get(MeetingRow, number)
        assert row is not None
        names = [m.name for m in expected_for(session, row, kind=app.schedule.meetings.type_of(row.type_key),
                                              now=now)]
        session.commit()
        return names


ARRANGED = datetime(2026, 3, 2, 9, 0)
START = datetime(2026, 3, 10, 14, 30)


def test_each_kind_of_meeting_expects_its_own_people(branch: App) -> None:
    app = branch
    assert say(app, "张三", "安排会议 支委会 2026-03-10 14:30", ARRANGED).startswith("✅ 已安排支部委员会会议")
    assert say(app, "张三", "安排会议 党小组会 2026-03-11 14:30", ARRANGED) == (
        "请写明是哪个党小组的党小组会，例如：安排会议 党小组会 第一党小组 2026-03-11 14:30"
        "（本支部的党小组：第一党小组、第二党小组）。")
    assert say(app, "张三", "安排会议 党小组会 第二党小组 2026-03-11 14:30 二楼", ARRANGED).startswith(
        "✅ 已安排党小组会（编号 2）：[2] 3月11日（周三）14:30 党小组会（第二党小组），二楼")
    assert meeting(app, 2).party_group == "第二党小组"
    assert say(app, "张三", "安排会议 党员大会 2026-03-12 14:30", ARRANGED).startswith("✅ 已安排支部党员大会")
    assert say(app, "张三", "安排会议 党课 2026-03-13 14:30", ARRANGED).startswith("✅ 已安排党课（编号 4）")
    assert expected_names(app, 1, ARRANGED) == ["张三", "钱委员", "孙副"]
    assert expected_names(app, 2, ARRANGED) == ["孙副", "王五"]  # not the 入党积极分子
    assert expected_names(app, 3, ARRANGED) == ["张三", "钱委员", "孙副", "李四", "王五"]
    assert expected_names(app, 4, ARRANGED) == ["张三", "钱委员", "孙副", "李四", "王五"]


def test_a_sign_in_by_someone_not_expected_is_an_observer_without_points(branch: App) -> None:
    app = branch
    say(app, "张三", "安排会议 支委会 2026-03-10 14:30 三楼会议室", ARRANGED)
    signing = datetime(2026, 3, 10, 14, 20)
    assert say(app, "李四", "签到", signing) == (
        "📝 李四 已登记列席：支部委员会会议（3月10日 14:30）。本次会议应到人员为支部委员（书记、副书记、委员），"
        "列席不计积分，也不计入出勤率。")
    assert say(app, "李四", "签到", signing) == "李四 已签到过支部委员会会议，无需重复签到。"
    assert say(app, "张三", "签到", signing) == "✅ 张三 已签到：支部委员会会议（3月10日 14:30），获得 5 分。"
    assert say(app, "张三", "签到情况", signing) == (
        "📝 支部委员会会议（3月10日 14:30）签到 1/3 人\n已签到：张三\n未签到：钱委员、孙副\n列席：李四\n"
        "⚠️ 到会支部委员未过半数（应到 3 人，实到 1 人），不足法定人数，不能进行表决")
    assert say(app, "钱委员", "签到", signing).startswith("✅ 钱委员 已签到")
    assert say(app, "张三", "签到情况", signing) == (
        "📝 支部委员会会议（3月10日 14:30）签到 2/3 人\n已签到：张三、钱委员\n未签到：孙副\n列席：李四")
    with app.db.session() as session:
        names = {m.id: m.name for m in session.exec(select(Member))}
        statuses = {names[a.member_id]: a.status for a in session.exec(select(AttendanceRow))}
        earned = {names[p.member_id]: p.amount for p in session.exec(select(PointsEntry))}
    assert statuses == {"李四": "observer", "张三": "present", "钱委员": "present"}
    assert earned == {"张三": 5, "钱委员": 5}
    # the rate counts the expected only: 2 of 3 委员, the 列席 neither way
    stats = say(app, "王五", "会议统计", datetime(2026, 3, 10, 18, 0))
    assert "支部委员会会议：已开 1 次 / 应开 0 次（正式党员 4 人，不足 7 人，不设支委会），出勤率 67%" in stats


def test_the_expected_list_is_frozen_when_the_meeting_starts(branch: App) -> None:
    app = branch
    say(app, "张三", "安排会议 支委会 2026-03-10 14:30", ARRANGED)
    # before the start the roster decides, and nothing is frozen
    enrol(app, [("周委员", "full", "纪检委员", "")])
    assert expected_names(app, 1, datetime(2026, 3, 10, 14, 0)) == ["张三", "钱委员", "孙副", "周委员"]
    with app.db.session() as session:
        assert session.exec(select(ExpectedAttendee)).all() == []
    # a sign-in after the start freezes it
    assert say(app, "张三", "签到", datetime(2026, 3, 10, 14, 40)).startswith("✅ 张三 已签到")
    with app.db.session() as session:
        assert len(session.exec(select(ExpectedAttendee).where(ExpectedAttendee.meeting_id == 1)).all()) == 4
    # the roster grows and changes later: the meeting's list, its 签到情况 and rate do not
    enrol(app, [("吴委员", "full", "宣传委员", ""), ("钱委员", "full", "", "第一党小组")])
    later = datetime(2026, 3, 10, 15, 0)
    assert expected_names(app, 1, later) == ["张三", "钱委员", "孙副", "周委员"]
    assert say(app, "吴委员", "签到", later).startswith("📝 吴委员 已登记列席")
    assert say(app, "张三", "签到情况", later).startswith("📝 支部委员会会议（3月10日 14:30）签到 1/4 人")


def test_reports_read_the_attendance_and_the_quorum_of_a_meeting(branch: App) -> None:
    app = branch
    say(app, "张三", "安排会议 党员大会 2026-03-10 14:30", ARRANGED)
    for name in ("张三", "王五", "赵六"):
        say(app, name, "签到", datetime(2026, 3, 10, 14, 35))
    now = datetime(2026, 3, 10, 18, 0)
    with app.db.session() as session:
        row = session.get(MeetingRow, 1)
        assert row is not None
        kind = app.schedule.meetings.type_of(row.type_key)
        seen = attendance_of(session, row, kind=kind, now=now)
        assert [m.name for m in seen.present] == ["张三", "王五"]
        assert [m.name for m in seen.absent] == ["钱委员", "孙副", "李四"]
        assert [m.name for m in seen.observers] == ["赵六"]
        assert seen.rate() == pytest.approx(2 / 5)
        # 4 正式党员 (王五 is 预备): 1 present is under half
        assert quorum_problem(session, row, kind=kind, now=now) == (
            "不足法定人数：应到正式党员 4 人，实到 1 人，未达半数，会议表决无效")
