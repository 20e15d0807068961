"""学习 / 搜索 / 已学 and the secretaries' commands in chat: what members read, what is stored, refusals,
and chatter that starts with a command word left alone."""

from __future__ import annotations

import pytest
from helpers import T0, group_msg, private_msg, texts
from sqlmodel import select

from bot.app import App
from bot.storage.branches import get_or_create_branch
from bot.storage.models import MeetingRow, PointsEntry, ScheduledPush, StudyRead
from bot.storage.people import upsert_member

GROUP = "第一党支部"


def say(app: App, name: str, words: str) -> list[str]:
    return texts(app.handle(group_msg(name, words, GROUP, at=app.clock.now())))


def secretary(app: App, name: str = "张三") -> None:
    """`name` is the branch's secretary in the roster before they write (the bot knows them from then on)."""
    with app.db.session() as session:
        branch = get_or_create_branch(session=session, name=GROUP)
        upsert_member(session=session, name=name, branch_id=branch.id, role="secretary",
                      identities={"local": name}, now=T0)
        session.commit()


def test_learn_read_once_and_search(app: App) -> None:
    [item] = say(app, "李四", "学习")
    assert item.startswith("📖 ") and item.endswith("读完后发送「已学」记录学习，得 2 分。")
    title = item.splitlines()[0].removeprefix("📖 ")
    assert say(app, "李四", "已学") == [f"✅ 李四 已学习《{title}》，获得 2 分。"]
    assert say(app, "李四", "已学") == [f"您已学过《{title}》，积分只计一次。发送「学习」看看其他内容。"]
    with app.db.session() as session:
        assert len(list(session.exec(select(StudyRead)))) == 1
        assert [(p.amount, p.reason) for p in session.exec(select(PointsEntry))] == [(2, "study")]
    [found] = say(app, "王五", "搜索 廉洁")
    assert found.startswith("🔎 与「廉洁」有关的学习资料：\n1. 《")
    assert say(app, "王五", "搜索") == ["请在「搜索」后写关键词，例如：搜索 三会一课"]
    # full-width letters are read as the plain letters they look like (issue 14)
    assert say(app, "王五", "搜索 ｘｙｚｘｙｚ")[0].startswith("没有找到与「xyzxyz」有关的学习资料")
    assert say(app, "王五", "学习 没有这篇")[0].startswith("没有找到学习资料「没有这篇」")
    [by_title] = say(app, "王五", "学习 遵义会议")
    assert by_title.startswith("📖 遵义会议")


def test_learn_in_private_chat(app: App) -> None:
    [reply] = texts(app.handle(private_msg("赵六", "学习", at=app.clock.now())))
    assert reply.startswith("📖 ")


def test_meeting_stats_for_a_period_it_cannot_show_says_so(app: App) -> None:
    """「会议统计 明年」 got this quarter's figures as if they were next year's (issue 14)."""
    assert say(app, "李四", "会议统计 明年") == [
        "「会议统计」显示本季度的开展情况，后面不用写「明年」。"
        "其他期间（如本年、上季度）可在命令行用 studybot meetings report --period year 或 --date 日期 查看。"]
    assert say(app, "李四", "会议统计")[0].startswith("📊 第一党支部 ")


@pytest.mark.parametrize("words", ["学习二十大精神很重要", "会议室在三楼", "签到了吗", "签到 一下", "会议统计好了吗"])
def test_chatter_that_starts_with_a_command_word_gets_no_reply(app: App, words: str) -> None:
    assert say(app, "李四", words) == []


@pytest.mark.parametrize("words, what", [
    ("安排推送 三会一课制度要点 每周一 09:00", "安排学习推送"), ("取消推送 1", "取消学习推送"),
    ("安排会议 支委会 2026-03-10 14:30", "安排会议"), ("取消会议 1", "取消会议"), ("签到情况", "查看签到情况"),
])
def test_only_secretaries_committee_and_admins_change_plans(app: App, words: str, what: str) -> None:
    assert say(app, "李四", words) == [f"抱歉，只有书记、委员和管理员可以{what}。如需调整，请联系本支部书记。"]
    with app.db.session() as session:
        assert list(session.exec(select(ScheduledPush))) == [] and list(session.exec(select(MeetingRow))) == []


def test_a_secretary_arranges_lists_and_cancels_a_push(app: App) -> None:
    secretary(app)
    say(app, "张三", "帮助")
    [bad] = say(app, "张三", "安排推送 三会一课制度要点 每周八 09:00")
    assert bad.startswith("看不懂时间「每周八 09:00」：星期应为一到日\n格式：安排推送 资料 时间 [群]")
    [ok] = say(app, "张三", "安排推送 三会一课制度要点 每周三 09:00 第一党支部")
    assert ok.startswith("✅ 已安排推送（编号 1）：每周三 09:00") and "向群「第一党支部」推送《三会一课制度要点》" in ok
    assert ok.endswith("第一次推送：3月4日（周三）09:00。")
    [plan] = say(app, "李四", "推送计划")
    assert "3月4日（周三）09:00 《三会一课制度要点》→ 第一党支部（编号 1，每周三 09:00）" in plan
    assert say(app, "张三", "取消推送 2") == ["本支部没有编号为 2 的推送安排。发送「推送计划」查看。"]
    assert say(app, "张三", "取消推送 1") == ["已取消推送（编号 1）：《三会一课制度要点》，每周三 09:00。"]
    assert app.schedule.jobs.jobs("push:") == []


def test_a_secretary_gets_the_meeting_format_when_the_command_is_incomplete(app: App) -> None:
    secretary(app)
    [reply] = say(app, "张三", "安排会议")
    assert "安排会议 支委会 2026-12-01 14:30 三楼会议室" in reply
    [past] = say(app, "张三", "安排会议 支委会 2026-03-01 14:30")
    assert "会议时间已过" in past


def test_a_secretary_moves_a_meeting_and_its_reminders_follow(app: App) -> None:
    secretary(app)
    [added] = say(app, "张三", "安排会议 支委会 2026-03-10 14:30 三楼会议室 学习党章")
    assert added.startswith("✅ 已安排支部委员会会议（编号 1）")
    assert say(app, "李四", "修改会议 1 2026-03-11 09:30") == [
        "抱歉，只有书记、委员和管理员可以修改会议。如需调整，请联系本支部书记。"]
    assert say(app, "张三", "修改会议 9 2026-03-11 09:30")[0] == "本支部没有编号为 9 的会议。发送「会议」查看。"
    [moved] = say(app, "张三", "修改会议 1 2026-03-11 09:30")
    assert moved.startswith("✅ 已修改（编号 1）：[1] 3月11日（周三）09:30 支部委员会会议，三楼会议室，主题：学习党章")
    reminders = dict(app.schedule.jobs.jobs("remind:"))
    from datetime import datetime
    assert reminders["remind:1:3600"] == datetime(2026, 3, 11, 8, 30)
    assert reminders["remind:1:259200"] == datetime(2026, 3, 8, 9, 30)
