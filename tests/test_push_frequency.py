"""A push may not flood a group: `安排推送 资料 * * * * *` was accepted (a push every minute to every group of the
branch). Schedules that fire more often than `schedule.min_push_interval_hours` (default 24: at most once a day for
one item and target) are refused in chat, on the command line and in plan files, judged from the triggers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from helpers import T0, group_msg, make_app, texts
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import App
from bot.cli import build_cli
from bot.clock import ManualClock
from bot.settings import ConfigError, load_settings
from bot.storage.branches import get_or_create_branch
from bot.storage.models import ScheduledPush
from bot.storage.people import upsert_member
from scheduler.frequency import crowded
from scheduler.phrases import parse_when
from scheduler.triggers import TZ
from scheduler.workdays import WorkCalendar

DAY = timedelta(days=1)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday


def trigger(text: str, calendar: WorkCalendar | None = None, shift: str = "next_workday"):
    return parse_when(text, calendar=calendar or WorkCalendar(), now=NOW, shift=shift).trigger


# ----- the rule, pure -----

@pytest.mark.parametrize("text", ["每天 09:00", "每个工作日 09:00", "每周一 09:00", "每周一、三、五 08:30",
                                  "每月1日 09:00",
                                  "每月第一个工作日 08:30", "0 9 * * *", "30 7 * * 1-5", "2026-12-01 09:00"])
def test_a_schedule_at_most_once_a_day_is_not_crowded(text: str) -> None:
    assert crowded([trigger(text)], start=NOW, gap=DAY) is None


@pytest.mark.parametrize(("text", "first", "second"), [
    ("* * * * *", datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 2, 9, 1)),
    ("*/30 9 * * *", datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 2, 9, 30)),
    ("0 9,21 * * *", datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 2, 21, 0)),
    ("0 * * * 6", datetime(2026, 3, 7, 0, 0), datetime(2026, 3, 7, 1, 0)),  # every hour on Saturdays
    ("*/10 9 * 7 *", datetime(2026, 7, 1, 9, 0), datetime(2026, 7, 1, 9, 10)),  # in July only: four months ahead
])
def test_a_schedule_more_often_than_daily_is_crowded_at_its_first_close_pair(text, first, second) -> None:
    assert crowded([trigger(text)], start=NOW, gap=DAY) == (first.replace(tzinfo=TZ), second.replace(tzinfo=TZ))


def test_a_flood_is_found_in_a_few_steps() -> None:
    began = time.perf_counter()
    assert crowded([trigger("* * * * *")], start=NOW, gap=DAY) is not None
    assert time.perf_counter() - began < 2


def test_two_schedules_together_are_judged_together() -> None:
    monday = trigger("每周一 09:00")
    assert crowded([monday, trigger("每周一 09:00")], start=NOW, gap=DAY) == (NOW, NOW)  # arranged twice
    assert crowded([monday, trigger("每周一 21:00")], start=NOW, gap=DAY) == (NOW, NOW + timedelta(hours=12))
    assert crowded([trigger("每周一 09:00", shift="none"), trigger("每周二 09:00", shift="none")], start=NOW,
                   gap=DAY) is None
    # 清明 (Monday 6 April) moves Monday's push onto Tuesday's
    assert crowded([monday, trigger("每周二 09:00")], start=NOW, gap=DAY) == (
        datetime(2026, 4, 7, 9, 0, tzinfo=TZ), datetime(2026, 4, 7, 9, 0, tzinfo=TZ))


def test_a_holiday_shift_counts() -> None:
    """Every Monday and Wednesday is 48 hours apart, except when a Monday holiday moves onto Tuesday."""
    calendar = WorkCalendar(holidays=[date(2026, 3, 9)])
    assert crowded([trigger("每周一、三 09:00", calendar)], start=NOW, gap=2 * DAY) == (
        datetime(2026, 3, 10, 9, 0, tzinfo=TZ), datetime(2026, 3, 11, 9, 0, tzinfo=TZ))


# ----- in chat -----

FLOOD = "推送太频繁：「* * * * *」在 3月2日（周一）09:00 和 3月2日（周一）09:01 各推送一次，只隔 1 分钟。"
RULE = "同一资料向同一个群每天最多推送一次，可以改为「每天 09:00」「每周一 09:00」这样的时间。"


def say(app: App, words: str, group: str = "第一党支部") -> list[str]:
    return texts(app.handle(group_msg("张三", words, group, at=app.clock.now())))


def pushes(app: App) -> list[tuple[str, str, str]]:
    with app.db.session() as session:
        rows = session.exec(select(ScheduledPush).order_by(ScheduledPush.id))
        return [(p.item_id, p.when_text, p.target) for p in rows if p.cancelled_at is None]


def with_secretary(tmp_path: Path, clock: ManualClock, **overrides) -> App:
    """张三 is the secretary of 第一党支部, whose groups are 第一党支部 and 第一支部学习群."""
    app = make_app(tmp_path, clock, groups={"第一支部学习群": "第一党支部"}, **overrides)
    app.start()
    with app.db.session() as session:
        branch = get_or_create_branch(session=session, name="第一党支部")
        upsert_member(session=session, name="张三", branch_id=branch.id, role="secretary", identities={"local": "张三"},
                      now=T0)
        session.commit()
    say(app, "大家好", "第一支部学习群")
    return app


@pytest.fixture
def secretary(tmp_path: Path, clock: ManualClock) -> Iterator[App]:
    app = with_secretary(tmp_path, clock)
    yield app
    app.close()


def test_a_push_every_minute_is_refused_in_chat(secretary: App) -> None:
    assert say(secretary, "安排推送 三会一课制度要点 * * * * *") == [FLOOD + RULE]
    assert pushes(secretary) == [] and secretary.schedule.jobs.jobs("push:") == []


def test_the_same_item_to_the_same_group_is_judged_with_the_pushes_already_arranged(secretary: App) -> None:
    assert say(secretary, "安排推送 三会一课制度要点 每天 09:00")[0].startswith("✅ 已安排推送（编号 1）")
    assert say(secretary, "安排推送 三会一课制度要点 每天 09:00") == [
        "推送太频繁：「每天 09:00」和已安排的推送（编号 1）在 3月2日（周一）09:00 同时推送两次。" + RULE]
    [twice] = say(secretary, "安排推送 三会一课制度要点 每天 21:00 第一支部学习群")
    assert twice.startswith("推送太频繁：「每天 21:00」和已安排的推送（编号 1）在 3月2日（周一）09:00 和 "
                            "3月2日（周一）21:00 各推送一次，只隔 12 小时。")
    # another item, or the same item after the first push is cancelled, is another matter
    assert say(secretary, "安排推送 学习党章，做合格党员 每天 21:00")[0].startswith("✅ 已安排推送（编号 2）")
    assert say(secretary, "取消推送 1")[0].startswith("已取消推送（编号 1）")
    [again] = say(secretary, "安排推送 三会一课制度要点 每天 21:00 第一支部学习群")
    assert again.startswith("✅ 已安排推送（编号 3）")
    assert pushes(secretary) == [("06-dangzhang-xuexi", "每天 21:00", ""),
                                 ("02-sanhui-yike", "每天 21:00", "第一支部学习群")]


def test_the_interval_is_a_setting(tmp_path: Path, clock: ManualClock) -> None:
    app = with_secretary(tmp_path, clock, schedule={"min_push_interval_hours": 12})
    try:
        assert say(app, "安排推送 三会一课制度要点 0 9,21 * * *")[0].startswith("✅ 已安排推送（编号 1）")
        [refused] = say(app, "安排推送 学习党章，做合格党员 0 9,12 * * *")
        assert refused.endswith("只隔 3 小时。同一资料向同一个群至少间隔 12 小时推送一次，"
                                "可以改为「每天 09:00」「每周一 09:00」这样的时间。")
    finally:
        app.close()


@pytest.mark.parametrize(("value", "reason"), [(0, "应不小于 1"), (745, "应不大于 744"), ("每天", "应为整数")])
def test_a_bad_interval_names_its_key(value, reason) -> None:
    with pytest.raises(ConfigError, match=f"schedule.min_push_interval_hours: {reason}"):
        load_settings(Path("/dev/null"), {"schedule": {"min_push_interval_hours": value}})


# ----- on the command line -----

def test_a_push_every_minute_is_refused_on_the_command_line(cli_config: Path, tmp_path: Path) -> None:
    from bot.storage.branches import get_or_create_group
    from bot.storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    with db.session() as session:
        get_or_create_group(session=session, channel="local", external_id="第一党支部", name="第一党支部",
                            branch_name="第一党支部")
        session.commit()
    db.dispose()
    from bot.cli.common import CliContext

    result = CliRunner().invoke(build_cli(), ["push", "add", "三会一课制度要点", "* * * * *", "--branch", "第一党支部",
                                              "--config", str(cli_config)], obj=CliContext(ManualClock(T0)))
    assert (result.exit_code, result.output.strip()) == (2, FLOOD + RULE)


# ----- in plan files -----

def test_a_flooding_plan_entry_is_a_problem_with_file_and_line_and_the_others_load(tmp_path: Path,
                                                                                  clock: ManualClock) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("plans:\n"
                    "  - name: 好\n    when: 每天 09:00\n    to: [第一党支部]\n    items: [02-sanhui-yike]\n"
                    "  - name: 刷屏\n    when: '*/5 * * * *'\n    to: [第一党支部]\n    items: [02-sanhui-yike]\n"
                    "  - name: 竞赛\n    when: 0 9,15 * * 5\n    to: [第一党支部]\n    contest: {questions: 2}\n",
                    encoding="utf-8")
    app = make_app(tmp_path, clock, content={"plans": [str(plan)]})
    app.start()
    try:
        problems = [p for p in app.schedule.problems if "学习计划" in p]
        assert problems == [
            f"学习计划有误：{plan} 第 6 行：第 2 项计划：推送太频繁：「*/5 * * * *」在 3月2日（周一）09:00 和 "
            "3月2日（周一）09:05 各推送一次，只隔 5 分钟。同一内容向同一目标每天最多推送一次"
            "（schedule.min_push_interval_hours）。",
            f"学习计划有误：{plan} 第 10 行：第 3 项计划：推送太频繁：「0 9,15 * * 5」在 3月6日（周五）09:00 和 "
            "3月6日（周五）15:00 各推送一次，只隔 6 小时。同一内容向同一目标每天最多推送一次"
            "（schedule.min_push_interval_hours）。"]
        assert [job for job, _ in app.schedule.jobs.jobs("plan:")] == ["plan:plan#好"]
    finally:
        app.close()
