"""The 待补记录 reminder: at 09:00 on the next working day after a meeting with neither minutes nor attendance,
its branch's 书记 is told privately through the outbox; once, also across a restart; never for a meeting that
has minutes or a sign-in, nor for one cancelled."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from helpers import RecordingChannel, advance_to, group_msg, private_msg, started_recording
from sqlmodel import select

from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.minutes import save_minutes
from bot.storage.models import AttendanceRow, Member
from bot.storage.people import upsert_member

MONDAY = datetime(2026, 3, 2, 9, 0)
REMINDER = "📋 第一党支部会议记录提醒："


def reminders(channel: RecordingChannel) -> list[tuple[str, bool, str]]:
    return [(m.chat.chat_id, m.chat.is_group, m.text) for m in channel.sent if m.text.startswith(REMINDER)]


def test_the_secretary_is_reminded_once_on_the_next_working_day_of_a_meeting_left_unrecorded(
        tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(MONDAY)
    app, channel = started_recording(tmp_path, clock, database_url)
    with app.db.session() as session:
        branch = get_or_create_branch(session=session, name="第一党支部")
        for name, role in (("张三", "secretary"), ("李四", "member")):
            upsert_member(session=session, name=name, branch_id=branch.id, role=role, identities={"local": name},
                          now=MONDAY)
        session.commit()
    app.dispatcher.forget_directory()
    for words in ("安排会议 支委会 2026-03-06 14:30 三楼会议室",  # 1: nothing recorded
                  "安排会议 党课 2026-03-06 16:00",  # 2: 李四 signed in
                  "安排会议 党员大会 2026-03-05 15:00",  # 3: minutes recorded
                  "安排会议 党小组会 2026-03-06 09:30"):  # 4: cancelled
        assert app.handle(group_msg("张三", words, at=clock.now()))[0].text.startswith("✅ 已安排")
    app.handle(group_msg("张三", "取消会议 4", at=clock.now()))
    with app.db.session() as session:
        li = session.exec(select(Member).where(Member.name == "李四")).one()
        session.add(AttendanceRow(meeting_id=2, member_id=li.id, signed_at=datetime(2026, 3, 6, 16, 0)))
        save_minutes(session=session, meeting_id=3, fields={"chair": "张三"}, by="张三", now=datetime(2026, 3, 5, 17))
        session.commit()
    advance_to(app, clock, datetime(2026, 3, 9, 8, 59))  # the weekend, and Monday before nine: nothing yet
    assert reminders(channel) == []
    advance_to(app, clock, datetime(2026, 3, 9, 9, 5))
    assert reminders(channel) == [(
        "张三", False, "📋 第一党支部会议记录提醒：3月6日（周五）14:30的支部委员会会议（编号 1）还没有会议记录，"
        "也没有签到记录，目前计为「待补记录」。\n请私聊我发送「会议记录 1」填写会议记录；如会议没有召开，"
        "请发送「取消会议 1」。")]
    advance_to(app, clock, datetime(2026, 3, 10, 9, 5))  # the next day's run: the outbox key keeps it to once
    assert len(reminders(channel)) == 1
    app.close()
    app, channel = started_recording(tmp_path, clock, database_url)  # nor does a restart send it again
    advance_to(app, clock, datetime(2026, 3, 11, 9, 5))
    assert reminders(channel) == []
    app.close()


def test_a_meeting_recorded_before_the_next_working_day_brings_no_reminder(tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(MONDAY)
    app, channel = started_recording(tmp_path, clock, database_url)
    with app.db.session() as session:
        branch = get_or_create_branch(session=session, name="第一党支部")
        upsert_member(session=session, name="张三", branch_id=branch.id, role="secretary",
                      identities={"local": "张三"}, now=MONDAY)
        session.commit()
    app.dispatcher.forget_directory()
    app.handle(group_msg("张三", "安排会议 支委会 2026-03-03 14:30", at=clock.now()))
    advance_to(app, clock, datetime(2026, 3, 3, 16, 0))
    for words in ("会议记录 1", "张三", "张三", "跳过", "学习", "无", "确认"):
        app.handle(private_msg("张三", words, at=clock.now()))
    advance_to(app, clock, datetime(2026, 3, 5, 10, 0))
    assert reminders(channel) == []
    app.close()
