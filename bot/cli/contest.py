"""studybot contest start: a 全委竞赛 ordered from the command line.

The order goes into the job store the running bot shares (a one-off "round" job due now): `studybot run` picks it
up within a minute and starts the round in every group it is in (or the named branches' groups), as the member
「党委」. The bank, the counts and the branches are checked here first, so a mistake is told at once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import typer
from apscheduler.triggers.date import DateTrigger

from bot.cli.common import ConfigOption, clock_of, fail, open_app
from bot.clock import SHANGHAI
from bot.jobs.book import JobSpec
from bot.services.contests.planned import RoundOrder
from bot.storage.branches import branch_named

__all__ = ["commands"]

GRACE = timedelta(minutes=10)  # a bot that was down longer does not start the contest late


def contest_start(ctx: typer.Context,
                  all_groups: Annotated[bool, typer.Option("--all-groups", help="在全部群同时进行")] = False,
                  branches: Annotated[str, typer.Option("--branches", help="只在这些支部的群进行，逗号分隔")] = "",
                  bank: Annotated[str, typer.Option("--bank", help="题库名（默认：quizzes.default_bank）")] = "",
                  count: Annotated[int | None, typer.Option("--count", help="题数")] = None,
                  seconds: Annotated[int | None, typer.Option("--seconds", help="每题限时（秒，5–600）")] = None,
                  config: ConfigOption = None) -> None:
    """发起全委竞赛：由正在运行的机器人（studybot run）在一分钟内开始。"""
    names = tuple(n.strip() for n in branches.replace("，", ",").split(",") if n.strip())
    if all_groups == bool(names):
        raise fail("请指定 --all-groups（全部群）或 --branches 第一党支部,第二党支部（其中之一）。")
    clock = clock_of(ctx)
    app = open_app(config, clock=clock)
    try:
        picked = app.contests.pick(bank or None, count, seconds)
        if isinstance(picked, str):
            raise fail(picked.replace("例如：开始竞赛", "例如：studybot contest start --all-groups --bank"))
        with app.db.session() as session:
            unknown = [n for n in names if branch_named(session=session, name=n) is None]
        if unknown:
            raise fail(f"没有支部「{'、'.join(unknown)}」。支部来自名册（studybot members import）或群的设置。")
        order = RoundOrder(bank or None, count, seconds, names)
        now = clock.now()
        job = JobSpec(f"round:{uuid.uuid4().hex[:12]}", "round", order.to_json(),
                      DateTrigger(now.replace(tzinfo=SHANGHAI), timezone=SHANGHAI), GRACE)
        app.schedule.jobs.put(job)
        where = "全部群" if all_groups else "、".join(names) + " 的群"
        bank_name, questions, limit = picked
        typer.echo(f"已安排全委竞赛：{bank_name}，{len(questions)} 题，每题 {limit} 秒，在{where}进行。"
                   "正在运行的机器人（studybot run）会在一分钟内开始；若机器人未运行，启动后十分钟内仍会开始。")
    finally:
        app.close()


def commands() -> typer.Typer:
    group = typer.Typer(help="知识竞赛：发起全委竞赛（与群里的「开始全委竞赛」相同）", no_args_is_help=True)
    group.command("start")(contest_start)
    return group
