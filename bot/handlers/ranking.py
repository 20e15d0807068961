"""排行榜, 支部排行, 我的积分."""

from __future__ import annotations

from bot.messages import Outgoing
from bot.render import MEDALS
from bot.router import Command
from bot.services.context import Context
from bot.storage.ranking import branch_ranking, member_position, member_ranking
from scheduler.periods import PERIOD_LABELS, Period, parse_period, period_key

__all__ = ["ranking_commands"]

_PERIOD_HELP = "可选：本周、本月、本季度、本年、总"


def _label(rank: int) -> str:
    return MEDALS[rank - 1] if rank <= 3 else f"{rank}."


def _period(ctx: Context) -> Period | None:
    return parse_period(ctx.args[0] if ctx.args else None)


def ranking_commands(top: int = 10) -> list[Command]:
    def members(ctx: Context) -> list[Outgoing]:
        period = _period(ctx)
        if period is None:
            return [ctx.reply(f"不认识的时间范围「{ctx.args[0]}」。{_PERIOD_HELP}，例如：排行榜 本月")]
        key = period_key(period, ctx.now.date())
        rows = member_ranking(session=ctx.session, period_key=key, limit=top)
        title = f"🏅 党建积分排行榜（{PERIOD_LABELS[period]}）"
        if not rows:
            return [ctx.reply(f"{title}\n暂无积分记录。参加知识竞赛、每日一题和学习，均计入党建积分。")]
        lines = [title] + [f"{_label(r.rank)} {r.name}（{r.branch}）{r.points} 分" for r in rows]
        mine = member_position(session=ctx.session, period_key=key, member_id=ctx.member.id)
        if mine and mine.points > 0 and all(r.member_id != mine.member_id for r in rows):
            lines.append(f"……\n{mine.rank}. {mine.name}（{mine.branch}）{mine.points} 分 ← 您")
        return [ctx.reply("\n".join(lines))]

    def branches(ctx: Context) -> list[Outgoing]:
        period = _period(ctx)
        if period is None:
            return [ctx.reply(f"不认识的时间范围「{ctx.args[0]}」。{_PERIOD_HELP}，例如：支部排行 本季度")]
        rows = branch_ranking(session=ctx.session, period_key=period_key(period, ctx.now.date()))
        title = f"🚩 支部排行（{PERIOD_LABELS[period]}，按人均积分）"
        if not rows:
            return [ctx.reply(f"{title}\n暂无支部数据。")]
        lines = [title] + [
            f"{_label(b.rank)} {b.name} 人均 {b.average_points:.1f} 分（总 {b.total_points} 分，"
            f"参与率 {b.participation_rate:.0%}，{b.members} 人）" for b in rows]
        return [ctx.reply("\n".join(lines))]

    def mine(ctx: Context) -> list[Outgoing]:
        lines = [f"📊 {ctx.member.name} 的党建积分"]
        for period in (Period.WEEK, Period.MONTH, Period.QUARTER, Period.YEAR, Period.ALL):
            pos = member_position(session=ctx.session, period_key=period_key(period, ctx.now.date()),
                                  member_id=ctx.member.id)
            points = pos.points if pos else 0
            rank = f"，第 {pos.rank} 名" if pos and points > 0 else ""
            lines.append(f"{PERIOD_LABELS[period]}：{points} 分{rank}")
        return [ctx.reply("\n".join(lines))]

    return [
        Command(("排行榜", "积分排行", "排名", "/rank"), members, f"个人积分排行（{_PERIOD_HELP}）", "排行榜 本月"),
        Command(("支部排行", "支部排名", "/branches"), branches, "支部排行，按人均积分", "支部排行 本季度"),
        Command(("我的积分", "积分", "/me"), mine, "查看自己的积分和名次", "我的积分"),
    ]
