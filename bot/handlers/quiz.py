"""开始竞赛, 结束竞赛, 每日一题, 题库."""

from __future__ import annotations

import re

from bot.messages import Outgoing
from bot.router import Command
from bot.services.contests import ContestService
from bot.services.context import Context
from bot.services.daily import DailyService
from bot.services.practice import PracticeService

__all__ = ["quiz_commands"]


_LIMIT = re.compile(r"^(\d+)\s*(?:秒|s|S)$")
_COUNT = re.compile(r"^(\d+)\s*(?:题|道)?$")


def parse_start(args: list[str]) -> tuple[str | None, int | None, int | None]:
    """(bank name, question count, seconds per question) from `开始竞赛 [题库名] [题数] [N秒]`.
    Count and limit are recognised at either end (开始竞赛 3 党建基础知识), so bank names
    with spaces still work; a count glued to the name (党建基础知识3) is the service's to split."""
    count = limit = None
    args = list(args)
    for end in (-1, 0):
        while args:
            if limit is None and (match := _LIMIT.match(args[end])):
                limit = int(match[1])
            elif count is None and (match := _COUNT.match(args[end])):
                count = int(match[1])
            else:
                break
            args.pop(end)
    return " ".join(args) or None, count, limit


def quiz_commands(contests: ContestService, daily: DailyService, practice: PracticeService) -> list[Command]:
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
        Command(("错题本", "/mistakes"), practice.book, "查看自己最近答错的题、正确答案和解析", "错题本"),
        Command(("错题练习", "/practice"), practice.ask, "私聊中把错题再做一遍，答对移出错题本", "错题练习"),
        Command(("题库", "题库列表", "/banks"), banks, "查看可用的题库", "题库"),
    ]
