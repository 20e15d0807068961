"""排行榜, 支部排行 (by period, and by 党建积分 category), 我的积分, 积分明细."""

from __future__ import annotations

from bot.messages import Outgoing
from bot.render import MEDALS
from bot.router import Command
from bot.services.context import Context
from bot.services.my_points import ledger_text, my_points_text
from bot.storage.ranking import branch_ranking, member_position, member_ranking
from scheduler.periods import PERIOD_LABELS, PERIOD_WORDS, Period, period_key
from scheduler.points import CATEGORY_LABELS, Category, PointsRules, category_key, parse_category

__all__ = ["ranking_commands"]

_PERIOD_HELP = "可选：本周、本月、本季度、本年、总"
_CATEGORY_HELP = "类别可选：学习、答题、组织生活、志愿服务、先锋作用"


def _label(rank: int) -> str:
    return MEDALS[rank - 1] if rank <= 3 else f"{rank}."


def _choice(ctx: Context, default: Period) -> tuple[Period, Category | None] | str:
    """The period and category words among the arguments, in any order (「排行榜 本月 答题」); what is wrong."""
    period, category = None, None
    for word in ctx.args:
        if (found := PERIOD_WORDS.get(word.strip().lower())) is not None and period is None:
            period = found
        elif (kind := parse_category(word)) is not None and category is None:
            category = kind
        else:
            return f"不认识「{word}」。{_PERIOD_HELP}；{_CATEGORY_HELP}"
    return period or default, category


def _ranked(ctx: Context, example: str) -> tuple[str, str] | str:
    """The totals key a ranking reads (「M2026-03/quiz」) and its label (「本月，答题」); or why there is none."""
    chosen = _choice(ctx, Period.ALL)
    if isinstance(chosen, str):
        return f"{chosen}，例如：{example}"
    period, category = chosen
    if category is Category.PENALTY:
        return "扣分不做排行。发送「积分明细」可查看自己的扣分记录及事由。"
    key = category_key(period_key(period, ctx.now.date()), category)
    return key, PERIOD_LABELS[period] + (f"，{CATEGORY_LABELS[category]}" if category else "")


def ranking_commands(top: int = 10, rules: PointsRules | None = None) -> list[Command]:
    rules = rules or PointsRules()

    def members(ctx: Context) -> list[Outgoing]:
        chosen = _ranked(ctx, "排行榜 本月 答题")
        if isinstance(chosen, str):
            return [ctx.reply(chosen)]
        key, label = chosen
        rows = member_ranking(session=ctx.session, period_key=key, limit=top)
        title = f"🏅 党建积分排行榜（{label}）"
        if not rows:
            return [ctx.reply(f"{title}\n暂无积分记录。参加三会一课、学习和答题，均计入党建积分。")]
        lines = [title] + [f"{_label(r.rank)} {r.name}（{r.branch}）{r.points} 分" for r in rows]
        mine = member_position(session=ctx.session, period_key=key, member_id=ctx.member.id)
        if mine and mine.points > 0 and all(r.member_id != mine.member_id for r in rows):
            lines.append(f"……\n{mine.rank}. {mine.name}（{mine.branch}）{mine.points} 分 ← 您")
        return [ctx.reply("\n".join(lines))]

    def branches(ctx: Context) -> list[Outgoing]:
        chosen = _ranked(ctx, "支部排行 本季度 组织生活")
        if isinstance(chosen, str):
            return [ctx.reply(chosen)]
        key, label = chosen
        rows = branch_ranking(session=ctx.session, period_key=key)
        title = f"🚩 支部排行（{label}，按人均积分）"
        if not rows:
            return [ctx.reply(f"{title}\n暂无支部数据。")]
        lines = [title] + [
            f"{_label(b.rank)} {b.name} 人均 {b.average_points:.1f} 分（总 {b.total_points} 分，"
            f"参与率 {b.participation_rate:.0%}，{b.members} 人）" for b in rows]
        return [ctx.reply("\n".join(lines))]

    def mine(ctx: Context) -> list[Outgoing]:
        chosen = _choice(ctx, Period.MONTH)
        if isinstance(chosen, str) or chosen[1] is not None:
            return [ctx.reply(f"{_PERIOD_HELP}，例如：我的积分 本年")]
        return [ctx.reply(my_points_text(ctx.session, member_id=ctx.member.id, name=ctx.member.name,
                                         period=chosen[0], today=ctx.now.date(), rules=rules))]

    def detail(ctx: Context) -> list[Outgoing]:
        chosen = _choice(ctx, Period.MONTH)
        if isinstance(chosen, str) or chosen[1] is not None:
            return [ctx.reply(f"{_PERIOD_HELP}，例如：积分明细 本月")]
        return [ctx.reply(ledger_text(ctx.session, member_id=ctx.member.id, name=ctx.member.name,
                                      period=chosen[0], today=ctx.now.date()))]

    return [
        Command(("排行榜", "积分排行", "排名", "/rank"), members,
                f"个人积分排行（{_PERIOD_HELP}；可加类别）", "排行榜 本月 答题"),
        Command(("支部排行", "支部排名", "/branches"), branches, "支部排行，按人均积分（可加时间和类别）",
                "支部排行 本季度"),
        Command(("我的积分", "积分", "/me"), mine, "查看自己各类别的积分、上限和名次", "我的积分 本月"),
        # private: the ledger holds 扣分 and their reasons, which are not for the whole group
        Command(("积分明细", "积分记录", "/ledger"), detail, "私聊查看每一笔积分及事由（默认本月）", "积分明细 本月",
                where="private", action="查看积分明细"),
    ]
