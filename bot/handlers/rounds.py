"""开始全委竞赛: the committee's one contest across every branch group at once."""

from __future__ import annotations

from collections.abc import Callable

from bot.messages import Outgoing
from bot.router import Command
from bot.services.contests.rounds import RoundService
from bot.services.context import Context

__all__ = ["round_command"]

ParseArgs = Callable[[list[str]], tuple[str | None, int | None, int | None]]


def round_command(rounds: RoundService, *, parse_args: ParseArgs, channels: Callable[[], list[str]]) -> Command:
    def start(ctx: Context) -> list[Outgoing]:
        bank, count, limit = parse_args(ctx.args)
        groups = rounds.groups(ctx.session, channels())
        told, messages = rounds.start(ctx.session, starter_id=ctx.member.id, starter=ctx.member.name, groups=groups,
                                      bank_name=bank, count=count, time_limit=limit, now=ctx.now)
        # the starter's own group, if it takes part, gets the intro and the question with the others
        return [ctx.reply(told), *messages]

    return Command(("开始全委竞赛", "全委竞赛"), start, "在所有群同时发起全委竞赛，按支部人均得分排名（管理员）",
                   "开始全委竞赛 党建基础知识 5 20秒", role="admin", action="发起全委竞赛")
