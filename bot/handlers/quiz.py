"""开始竞赛, 结束竞赛, 每日一题, 错题本, 错题练习, 题库; and the answer catchers of contests, 错题练习 and 每日一题."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.messages import Outgoing
from bot.router import Catcher, Command
from bot.services.catalog import Catalog
from bot.services.contests import ContestService
from bot.services.contests.texts import bank_list_text
from bot.services.context import Context
from bot.services.daily import DailyService
from bot.services.numbers import DIGITS
from bot.services.practice import PracticeService
from quizzes.model import QuestionType

__all__ = ["quiz_commands", "quiz_catchers", "parse_start"]


# up to six bare digits: a count or limit that long is told its range; one longer would be a bank's name, unless a
# unit (题, 秒) says what it is
_LIMIT = re.compile(rf"^(?:([{DIGITS}]{{1,6}})\s*|([{DIGITS}]+)\s*)(?:秒|s|S)$")
_COUNT = re.compile(rf"^(?:([{DIGITS}]{{1,6}})\s*(?:道题|题|道)?|([{DIGITS}]+)\s*(?:道题|题|道))$")
_UNIT = re.compile(r"^(?:道题|题|道|秒)$")
_GLUED = re.compile(rf"(.*[^{DIGITS}])([{DIGITS}]{{1,6}})[题道]?")


def parse_start(args: list[str], is_bank: Callable[[str], bool]) -> tuple[str | None, int | None, int | None]:
    """(bank name, question count, seconds per question) from `开始竞赛 [题库名] [题数] [N秒]`.
    Count and limit are recognised at either end (开始竞赛 3 党建基础知识), so bank names
    with spaces still work; a count glued to a bank's name (党建基础知识3) is split from it."""
    count = limit = None
    args = _units_joined(args)
    for end in (-1, 0):
        while args:
            if limit is None and (match := _LIMIT.match(args[end])):
                limit = int(match[1] or match[2])
            elif count is None and (match := _COUNT.match(args[end])):
                count = int(match[1] or match[2])
            else:
                break
            args.pop(end)
    name = " ".join(args) or None
    glued = _GLUED.fullmatch(name or "")
    if name is not None and count is None and glued and not is_bank(name) and is_bank(glued[1]):
        name, count = glued[1], int(glued[2])
    return name, count, limit


def _units_joined(args: list[str]) -> list[str]:
    """`开始竞赛 5 题 20 秒`: a unit typed apart from its number belongs to it."""
    joined: list[str] = []
    for arg in args:
        if joined and _UNIT.match(arg) and joined[-1].isdigit():
            joined[-1] += arg
        else:
            joined.append(arg)
    return joined


def quiz_commands(contests: ContestService, daily: DailyService, practice: PracticeService,
                  catalog: Catalog) -> list[Command]:
    def start(ctx: Context) -> list[Outgoing]:
        catalog.refresh()  # a bank imported a moment ago by another process is a bank
        name, count, limit = parse_start(ctx.args, catalog.__contains__)
        return contests.start(ctx, name, count, limit)

    def banks(ctx: Context) -> list[Outgoing]:
        return [ctx.reply(bank_list_text(catalog))]

    return [
        Command(("开始竞赛", "发起竞赛", "知识竞赛", "/quiz"), start, "在群里发起知识竞赛",
                "开始竞赛 党建基础知识 5 20秒", where="group", action="知识竞赛",
                instead="私聊可以发送「每日一题」。"),
        Command(("结束竞赛", "停止竞赛", "/stop"), contests.stop,
                "提前结束本群的竞赛（发起人、本支部书记、委员或管理员）", "结束竞赛", where="group"),
        Command(("下一题", "/next"), contests.skip,
                "立即揭晓当前题目并出下一题（发起人、本支部书记、委员或管理员）", "下一题", where="group"),
        Command(("每日一题", "/daily"), daily.ask, "每天一道题，答对得积分", "每日一题"),
        Command(("错题本", "/mistakes"), practice.book, "查看自己最近答错的题、正确答案和解析", "错题本"),
        Command(("错题练习", "/practice"), practice.ask, "私聊中把错题再做一遍，答对移出错题本", "错题练习",
                where="private"),
        Command(("题库", "题库列表", "/banks"), banks, "查看可用的题库", "题库"),
    ]


def quiz_catchers(contests: ContestService, daily: DailyService, practice: PracticeService,
                  looks_like_command: Callable[[str], str | None]) -> list[Catcher]:
    """In this order: an answer to the group's contest question, to a 错题练习 question, to today's 每日一题."""
    def contest_answer(ctx: Context) -> list[Outgoing] | None:
        if ctx.incoming.button is not None and (ctx.incoming.question_key or "").startswith("contest:"):
            return contests.answer(ctx)  # a tap on a contest card: answered, if only by a note to the member
        question = contests.open_question(ctx.group.id) if ctx.group is not None else None
        if question is None:
            return None
        # a 填空 takes any text: a mistyped command is still a command, not an answer
        if question.type is QuestionType.BLANK and looks_like_command(ctx.incoming.text):
            return None
        return contests.answer(ctx)

    return [contest_answer, practice.answer, daily.answer]
