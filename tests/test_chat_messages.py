"""What the bot says when things have ended or were misread (issue 14, "Messages and logs"): a one-off push that was
sent is finished (no warning at each start, listed as 已发送), 安排推送 naming a group the branch does not have,
and a contest left running long ago."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import T0, RecordingChannel, advance_to, group_msg, make_app, started_recording, texts, write_bank
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import App
from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.models import ContestRow, PointsEntry
from bot.storage.people import upsert_member

GROUP = "第一党支部"


def say(app: App, name: str, words: str, group: str = GROUP) -> list[str]:
    return texts(app.handle(group_msg(name, words, group, at=app.clock.now())))


def secretary(app: App, name: str = "张三") -> None:
    with app.db.session() as session:
        branch = get_or_create_branch(session=session, name=GROUP)
        upsert_member(session=session, name=name, branch_id=branch.id, role="secretary",
                      identities={"local": name}, now=T0)
        session.commit()


# ----- a one-off push that has been sent -----

def test_a_sent_one_off_push_is_finished_not_a_warning_at_each_start(tmp_path, database_url, caplog, cli_config):
    clock = ManualClock(T0)
    app, channel = started_recording(tmp_path, clock, database_url)
    secretary(app)
    [ok] = say(app, "张三", "安排推送 三会一课制度要点 2026-03-03 09:00")
    assert ok.startswith("✅ 已安排推送（编号 1）：仅一次：2026年3月3日（周二）09:00")
    advance_to(app, clock, datetime(2026, 3, 3, 9, 5))
    assert [t.splitlines()[0] for t in channel.texts] == ["📖 三会一课制度要点"]
    app.close()

    clock.set(datetime(2026, 3, 5, 9, 0))
    caplog.set_level(logging.WARNING)
    for _ in range(2):  # started again, twice: nothing to warn about
        app, _ = started_recording(tmp_path, clock, database_url)
        app.close()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("bot")] == []
    app, _ = started_recording(tmp_path, clock, database_url)
    [plan] = say(app, "李四", "推送计划")
    assert plan == ("本支部近期没有安排学习推送。书记、委员可发送「安排推送 资料 时间」，"
                    "例如：安排推送 三会一课制度要点 每周一 09:00\n"
                    "最近结束的一次性推送：\n· 3月3日（周二）09:00 《三会一课制度要点》（编号 1，已发送）")
    app.close()

    listed = CliRunner().invoke(build_cli(), ["push", "list", "--branch", GROUP, "--config", str(cli_config)],
                                obj=CliContext(ManualClock(datetime(2026, 3, 5, 9, 0))))
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines() == [f"{GROUP} 近期没有学习推送。", "最近 30 天结束的一次性推送：",
                                          "3月3日（周二）09:00 《三会一课制度要点》（编号 1，已发送）"]
    assert listed.stderr == ""


def test_a_one_off_push_moved_past_the_weekend_survives_a_restart_on_sunday(tmp_path, database_url):
    clock = ManualClock(T0)
    app, channel = started_recording(tmp_path, clock, database_url)
    secretary(app)
    [ok] = say(app, "张三", "安排推送 三会一课制度要点 2026-03-07 09:00")  # a Saturday: moved to Monday
    assert ok.endswith("第一次推送：3月9日（周一）09:00。"), ok
    app.close()
    clock.set(datetime(2026, 3, 8, 10, 0))  # Sunday: the written date has passed, the push has not
    app, channel = started_recording(tmp_path, clock, database_url)
    [plan] = say(app, "李四", "推送计划")
    assert "3月9日（周一）09:00 《三会一课制度要点》（编号 1，2026-03-07 09:00）" in plan, plan
    advance_to(app, clock, datetime(2026, 3, 9, 9, 5))
    assert [t.splitlines()[0] for t in channel.texts] == ["📖 三会一课制度要点"]
    app.close()


@pytest.fixture
def database_url(tmp_path: Path) -> str:  # the CLI reads the same file: SQLite only
    return f"sqlite:///{tmp_path / 't.db'}"




# ----- 安排推送 naming a group the branch does not have -----

def test_arranging_a_push_to_a_group_the_branch_lacks_names_the_word_and_the_groups(tmp_path, database_url):
    app, _ = started_recording(tmp_path, ManualClock(T0), database_url)
    secretary(app)
    say(app, "张三", "帮助")  # the bot knows the branch's group 第一党支部 from here on
    [reply] = say(app, "张三", "安排推送 三会一课制度要点 每周一 09:00 某群")
    assert reply.startswith("没有安排：「某群」不是本支部的群。本支部的群：第一党支部。"
                            "时间之后可写本支部的一个群名，只推送到这个群；不写则推送到本支部的所有群。\n"
                            "格式：安排推送 资料 时间 [群]"), reply
    assert "看不懂时间" not in reply
    [bad] = say(app, "张三", "安排推送 三会一课制度要点 每周八 09:00")  # a time that is wrong stays a time problem
    assert bad.startswith("看不懂时间「每周八 09:00」：星期应为一到日")
    assert app.schedule.jobs.jobs("push:") == []
    app.close()


# ----- a contest left running long ago -----

ALL_A = """\
name: 单选题库
time_limit: 20
questions:
  - {type: single, question: 党的最高领导机关是（）。, options: [党的全国代表大会, 中央政治局], answer: A}
  - {type: single, question: 预备党员的预备期为（）。, options: [一年, 半年], answer: A}
  - {type: single, question: 党的根本组织原则是（）。, options: [民主集中制, 集体领导], answer: A}
"""


def contest_app(tmp_path: Path, clock: ManualClock, database_url: str) -> tuple[App, RecordingChannel]:
    write_bank(tmp_path / "choices", ALL_A, "choices.yaml")
    app = make_app(tmp_path, clock, database={"url": database_url},
                   quizzes={"bank_dirs": [str(tmp_path / "choices")], "default_bank": "单选题库", "sample_bank": False})
    channel = RecordingChannel()
    app.add_channel(channel)
    app.start()
    return app, channel


def contest_rows(app: App) -> tuple[list[ContestRow], list[int]]:
    with app.db.session() as session:
        contests = list(session.exec(select(ContestRow)))
        points = [p.amount for p in session.exec(select(PointsEntry).where(PointsEntry.reason == "contest"))]
    return contests, points


def test_a_contest_left_running_days_ago_ends_with_a_notice_instead_of_resuming(tmp_path, database_url):
    clock = ManualClock(T0)
    app, _ = contest_app(tmp_path, clock, database_url)
    secretary(app)
    say(app, "李四", "大家好")
    started_with = say(app, "张三", "开始竞赛 单选题库 3")
    assert "第 1/3 题" in started_with[-1]
    clock.set(T0 + timedelta(seconds=3))
    say(app, "李四", "A")  # question 1, answered; the bot stops before it closes and is not started for days
    app.close()

    clock.set(T0 + timedelta(days=3))
    app, channel = contest_app(tmp_path, clock, database_url)
    assert channel.texts == ["上次的知识竞赛（单选题库，进行到第 1/3 题）因机器人停止运行已过期，现已结束；"
                             "已作答题目的积分照常计入。"]
    [contest], points = contest_rows(app)
    assert (contest.status, contest.finished_at) == ("finished", T0 + timedelta(days=3))
    assert len(points) == 1 and points[0] > 0  # 李四's answer to question 1 counts; the questions not asked do not
    advance_to(app, clock, T0 + timedelta(days=3, minutes=5))
    assert len(channel.texts) == 1  # no question 2, no results
    assert say(app, "张三", "开始竞赛 单选题库 3")[0].startswith("📣 张三 发起了知识竞赛")
    app.close()


def test_a_contest_restarted_soon_after_its_deadline_goes_on(tmp_path, database_url):
    clock = ManualClock(T0)
    app, _ = contest_app(tmp_path, clock, database_url)
    secretary(app)
    say(app, "张三", "开始竞赛 单选题库 3")
    app.close()
    clock.set(T0 + timedelta(seconds=20) + timedelta(minutes=9))  # the deadline passed 9 minutes ago: within 10
    app, channel = contest_app(tmp_path, clock, database_url)
    assert channel.texts[0].startswith("⏰ 第 1 题答案"), channel.texts  # resumed: its late question closes now
    assert not any("已过期" in text for text in channel.texts)
    app.close()
