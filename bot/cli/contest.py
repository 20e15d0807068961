"""studybot contest start: a 全委竞赛 ordered from the command line.

This process has no channel to the groups: it checks the order (bank, numbers, branches, that the bot knows some of
those groups), then puts a one-off "round" job, due now, into the job store of the database the running bot uses.
`studybot run` looks at the job store every minute and starts the round in every group it is in (or the named
branches' groups), as the member 「党委」 (bot/services/contests/planned.py start_round)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Annotated

import typer
from apscheduler.triggers.date import DateTrigger

from bot.cli.common import ConfigOption, clock_of, fail, open_app
from bot.clock import SHANGHAI
from bot.jobs.book import JobSpec
from bot.services.contests.planned import RoundOrder
from bot.services.h5_groups import ensure_groups
from bot.services.numbers import parse_number
from bot.storage.branches import all_branches, known_groups

__all__ = ["commands"]

USAGE = ("请指定全委竞赛在哪些群进行（二者选一）：--all-groups（全部群）或 --branches 第一党支部,第二党支部。\n"
         "例如：studybot contest start --all-groups --bank 党建基础知识 --count 5 --seconds 20")

AllGroups = Annotated[bool, typer.Option("--all-groups", help="在机器人所在的全部群同时进行")]
Branches = Annotated[str, typer.Option("--branches", help="只在这些支部的群进行，逗号分隔：第一党支部,第二党支部")]
Bank = Annotated[str, typer.Option("--bank", help="题库名（默认：quizzes.default_bank）")]
Count = Annotated[str | None, typer.Option("--count", help="题数（默认：quizzes.questions_per_contest）")]
Seconds = Annotated[str | None, typer.Option("--seconds", help="每题限时，5 到 600 秒")]


def _number(text: str | None, option: str) -> int | None:
    """The option's whole number (「20秒」 and full-width digits too); out-of-range values are the contest's to
    refuse, with the same words as in chat."""
    if text is None:
        return None
    value = parse_number(text.strip().removesuffix("秒"))
    if value is None:
        raise fail(f"{option}「{text}」应为整数，例如 {option} {'20' if option == '--seconds' else '5'}")
    return value


def contest_start(ctx: typer.Context, all_groups: AllGroups = False, branches: Branches = "", bank: Bank = "",
                  count: Count = None, seconds: Seconds = None, config: ConfigOption = None) -> None:
    """发起全委竞赛：全部群（或指定支部的群）同时答同样的题，按支部人均得分排名；由正在运行的机器人在一分钟内开始。"""
    names = tuple(name.strip() for name in re.split(r"[,，、]", branches) if name.strip())
    if all_groups == bool(names):
        raise fail(USAGE)
    questions, limit = _number(count, "--count"), _number(seconds, "--seconds")
    clock = clock_of(ctx)
    app = open_app(config, clock=clock)
    try:
        picked = app.contests.pick(bank or None, questions, limit)
        if isinstance(picked, str):
            raise fail(picked.replace("例如：开始竞赛", "例如（群里）：开始竞赛"))
        with app.db.session() as session:
            ensure_groups(session, app.settings.h5.branches)  # branches on WeChat take part by their virtual group
            session.commit()
            known = {b.name: b.id for b in all_branches(session=session)}
            unknown = [name for name in names if name not in known]
            if unknown:
                raise fail(f"没有支部「{'」「'.join(unknown)}」。现有支部：{'、'.join(known) or '（还没有支部）'}")
            groups = known_groups(session=session, branch_ids={known[n] for n in names} if names else None)
        where = "全部群" if not names else "、".join(names) + "的群"
        if not groups:
            raise fail(f"机器人还不认识{where}中的任何一个：群里有人发过消息后，机器人才认识这个群。")
        grace = timedelta(minutes=app.settings.schedule.contest_grace_minutes)
        order = RoundOrder(bank or None, questions, limit, names)
        app.schedule.jobs.put(JobSpec(f"round:{uuid.uuid4().hex[:12]}", "round", order.to_json(),
                                      DateTrigger(clock.now().replace(tzinfo=SHANGHAI), timezone=SHANGHAI), grace))
        bank_name, drawn, per = picked
        typer.echo(f"✅ 已安排全委竞赛：{bank_name}，{len(drawn)} 题，每题 {per} 秒，在{where}进行（机器人目前认识 "
                   f"{len(groups)} 个群），以「党委」名义发起。\n正在运行的机器人（studybot run）会在一分钟内开始；"
                   f"机器人没有运行时，{int(grace.total_seconds() // 60)} 分钟内启动仍会开始"
                   "（schedule.contest_grace_minutes），再晚就不开始了。")
    finally:
        app.close()


def commands() -> typer.Typer:
    group = typer.Typer(help="知识竞赛：从命令行发起全委竞赛（与群里的「开始全委竞赛」相同）", no_args_is_help=True)
    group.command("start")(contest_start)
    return group
