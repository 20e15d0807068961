"""开始竞赛, 结束竞赛, 每日一题, 题库."""

from __future__ import annotations

import re

from bot.messages import Outgoing
from bot.router import Command
from bot.services.contests import ContestService
from bot.services.context import Context
from bot.services.daily import DailyService

__all__ = ["quiz_commands"]


_LIMIT = re.compile(r"^(\d+)\s*(?:秒|s|S)$")
_COUNT = re.compile(r"^(\d+)\s*(?:题|道)?$")


def parse_start(args: list[str]) -> tuple[str | None, int | None, int | None]:
    """(bank name, question count, seconds per question) from `开始竞赛 [题库名] [题数] [N秒]`.
    Count and limit are recognised at the end, so bank names with spaces still work."""
    count = limit = None
    args = list(args)
    while args:
        if limit is None and (match := _LIMIT.match(args[-1])):
            limit = int(match[1])
        elif count is None and (match := _COUNT.match(args[-1])):
            count = int(match[1])
        else:
            break
        args.pop()
    return " ".join(args) or None, count, limit


def quiz_commands(contests: ContestService, daily: DailyService) -> list[Command]:
    def start(ctx: Context) -> list[Outgoing]:
        if ctx.group is None:
            return [ctx.reply("知识竞赛需要在群里进行。私聊可以发送「每日一题」。")]
        name, count, limit = parse_start(ctx.args)
        return contests.start(ctx, name, count, limit)

    def stop(ctx: Context) -> list[Outgoing]:
        if ctx.group is None:
            return [ctx.reply("私聊中没有进行中的竞赛。")]
        return contests.stop(ctx)

    def banks(ctx: Context) -> list[Outgoing]:
        return [ctx.reply(contests.bank_list_text())]

    return [
        Command(("开始竞赛", "发起竞赛", "知识竞赛", "/quiz"), start, "在群里发起知识竞赛",
                "开始竞赛 党建基础知识 5 20秒"),
        Command(("结束竞赛", "停止竞赛", "/stop"), stop, "提前结束本群的竞赛（发起人、书记或管理员）", "结束竞赛"),
        Command(("每日一题", "/daily"), daily.ask, "每天一道题，答对得积分", "每日一题"),
        Command(("题库", "题库列表", "/banks"), banks, "查看可用的题库", "题库"),
    ]
