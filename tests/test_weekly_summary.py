"""The committee's weekly summary: at the configured time (Monday 09:00 by default) one message on the week just
ended — participation, answers and study, the first branches by points per member, the branches whose 三会一课 need
attention — to the groups and members `summary:` names, once per week and destination; none where none is named."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from helpers import RecordingChannel, advance_to, group_msg, make_app
from sqlalchemy import text
from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.models import Member
from bot.storage.people import upsert_member
from bot.storage.points import award_points

MONDAY = datetime(2026, 3, 2, 9, 0)
TITLE = "📊 党建工作周报"


def started(tmp_path: Path, clock: ManualClock, database_url: str, **summary: object) -> tuple[App, RecordingChannel]:
    app = make_app(tmp_path, clock, database={"url": database_url}, summary=summary)
    channel = RecordingChannel()
    app.add_channel(channel)
    app.start()
    with app.db.session() as session:
        for branch_name, people in (("第一党支部", (("张三", "secretary"), ("李四", "member"))),
                                    ("第二党支部", (("王五", "secretary"), ("赵六", "member")))):
            branch = get_or_create_branch(session=session, name=branch_name)
            for name, role in people:
                upsert_member(session=session, name=name, branch_id=branch.id, role=role,
                              identities={"local": name}, now=clock.now())
        session.commit()
        for member in session.exec(select(Member)).all():
            member.rostered = True
            session.add(member)
        session.commit()
    app.dispatcher.forget_directory()
    return app, channel


def summaries(channel: RecordingChannel) -> list[tuple[str, bool, str]]:
    return [(m.chat.chat_id, m.chat.is_group, m.text) for m in channel.sent if m.text.startswith(TITLE)]


def test_the_summary_of_the_week_goes_to_the_named_group_and_member_once(tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(MONDAY)
    app, channel = started(tmp_path, clock, database_url, groups=["党委工作群"], members=["王五"])
    app.handle(group_msg("张三", "大家好", group="党委工作群", at=clock.now()))  # the bot now knows the group
    app.handle(group_msg("张三", "安排会议 支委会 2026-03-04 14:30", group="第一党支部", at=clock.now()))
    with app.db.session() as session:
        ids = {m.name: m.id for m in session.exec(select(Member)).all()}
        for name, amount, day in (("张三", 6, 3), ("李四", 2, 4), ("王五", 3, 5)):
            assert award_points(session=session, member_id=ids[name], amount=amount, reason="daily",
                                source=f"d:{name}", now=datetime(2026, 3, day, 10))
        session.commit()
    advance_to(app, clock, datetime(2026, 3, 9, 8, 59))
    assert summaries(channel) == []
    advance_to(app, clock, datetime(2026, 3, 9, 9, 5))
    sent = summaries(channel)
    assert sorted((chat, is_group) for chat, is_group, _ in sent) == [("党委工作群", True), ("王五", False)]
    assert sent[0][2] == sent[1][2] == (
        "📊 党建工作周报（3月2日—3月8日）\n"
        "参与：3/4 名党员取得党建积分（75%）\n"
        "答题 0 人次，已学 0 人次\n"
        "支部人均积分前三：🥇 第一党支部 4.0 分，🥈 第二党支部 1.5 分\n"
        "三会一课需关注：2月未达要求：第一党支部、第二党支部；待补会议记录：第一党支部 1 次。\n"
        "详情请私聊我发送「管理后台」，获取登录链接后查看。")
    advance_to(app, clock, datetime(2026, 3, 9, 12, 0))  # the outbox key keeps it to once a week
    assert len(summaries(channel)) == 2
    app.close()


def test_no_summary_is_sent_where_none_is_asked_for(tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(MONDAY)
    app, channel = started(tmp_path, clock, database_url)
    advance_to(app, clock, datetime(2026, 3, 9, 9, 5))
    assert summaries(channel) == []
    with app.db.session() as session:
        jobs = text("SELECT COUNT(*) FROM apscheduler_jobs WHERE id LIKE 'summary:%'")
        assert session.execute(jobs).scalar_one() == 0
    app.close()


def test_a_summary_time_that_cannot_be_read_is_said_and_monday_nine_used(tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(MONDAY)
    app, channel = started(tmp_path, clock, database_url, when="每个蓝月亮", groups=["第一党支部"])
    assert any(p.startswith("summary.when：") and p.endswith("改用「每周一 09:00」") for p in app.schedule.problems)
    app.handle(group_msg("张三", "大家好", group="第一党支部", at=clock.now()))
    advance_to(app, clock, datetime(2026, 3, 9, 9, 5))
    assert [chat for chat, _, _ in summaries(channel)] == ["第一党支部"]
    app.close()
