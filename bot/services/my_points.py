"""我的积分 and 积分明细: a member's 党建积分 by category, with the caps that apply today and this month, and the
entries behind them with their reasons."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from bot.storage.ledger_view import LedgerLine, ledger_lines, totals_of
from bot.storage.ranking import member_position
from scheduler.periods import PERIOD_LABELS, Period, period_key, period_start
from scheduler.points import CATEGORY_LABELS, Category, PointsRules, category_key, day_key, month_key

__all__ = ["my_points_text", "ledger_text", "ledger_what", "DETAIL_LIMIT"]

DETAIL_LIMIT = 30  # lines of 积分明细 in one chat message
_SHOWN = (Category.STUDY, Category.QUIZ, Category.MEETING, Category.SERVICE, Category.VANGUARD)


def my_points_text(session: Session, *, member_id: int, name: str, period: Period, today: date,
                   rules: PointsRules) -> str:
    key = period_key(period, today)
    keys = [key] + [category_key(key, c) for c in Category]
    keys += [k for c in Category for k in (day_key(today, c), month_key(today, c))]
    keys += [period_key(p, today) for p in Period if p is not period]
    held = totals_of(session, member_id, list(dict.fromkeys(keys)))
    position = member_position(session=session, period_key=key, member_id=member_id)
    rank = f"，第 {position.rank} 名" if position and held[key] > 0 else ""
    lines = [f"📊 {name} 的党建积分（{PERIOD_LABELS[period]}）", f"合计 {held[key]} 分{rank}"]
    for category in (*_SHOWN, Category.PENALTY):
        points = held[category_key(key, category)]
        if category is Category.PENALTY and not points:
            continue
        lines.append(f"· {CATEGORY_LABELS[category]} {points} 分{_caps(rules, category, held, today)}")
    others = [f"{PERIOD_LABELS[p]} {held[period_key(p, today)]} 分" for p in Period if p is not period]
    lines.append("；".join(others))
    lines.append("发送「积分明细」查看本月每一笔积分及事由。")
    return "\n".join(lines)


def _caps(rules: PointsRules, category: Category, held: dict[str, int], today: date) -> str:
    """「（今日 5/5，已达上限；本月 12/60）」 for a capped category; "" for one without caps."""
    cap = rules.cap(category)
    parts = []
    for limit, key, word in ((cap.daily, day_key(today, category), "今日"),
                             (cap.monthly, month_key(today, category), "本月")):
        if limit is not None:
            full = "，已达上限" if held[key] >= limit else ""
            parts.append(f"{word} {held[key]}/{limit}{full}")
    return f"（{'；'.join(parts)}）" if parts else ""


def ledger_text(session: Session, *, member_id: int, name: str, period: Period, today: date) -> str:
    lines = ledger_lines(session, member_id, period_start(period, today))
    title = f"🧾 {name} 的积分明细（{PERIOD_LABELS[period]}）"
    if not lines:
        return f"{title}\n暂无积分记录。参加三会一课、学习和答题，均计入党建积分。"
    total = sum(line.amount for line in lines)
    out = [f"{title}：共 {len(lines)} 项，合计 {total} 分"]
    out += [_line(line) for line in lines[:DETAIL_LIMIT]]
    if len(lines) > DETAIL_LIMIT:
        out.append(f"…… 仅显示最近 {DETAIL_LIMIT} 项，更早的请发送「积分明细 本周」等缩小范围，或请书记导出。")
    return "\n".join(out)


def _line(line: LedgerLine) -> str:
    label = CATEGORY_LABELS.get(Category(line.category), line.category) if line.category in set(Category) else ""
    amount = f"+{line.amount}" if line.amount > 0 else str(line.amount)
    held = f"（超出上限，{line.withheld} 分未计入）" if line.withheld else ""
    return f"{line.at:%m-%d} {label} {amount} 分 {ledger_what(line)}{held}"


def ledger_what(line: LedgerLine) -> str:
    """What an entry was for, as 积分明细 says it (the dashboard's 成员 page shows the same words)."""
    if line.reason == "contest":
        bank = f"（{line.note}）" if line.note else ""
        return f"知识竞赛{bank}答对 {line.entries} 题"
    if line.reason == "daily":
        return "每日一题答对"
    if line.reason == "practice":
        return f"错题订正（{line.note}）" if line.note else "错题订正"
    if line.reason == "study":
        return f"已学{line.note}" if line.note else "已学学习资料"
    if line.reason == "meeting":
        if line.note.startswith("补记"):
            return line.note
        return f"出席{line.note}" if line.note else "出席组织生活"
    who = "，".join(p for p in (f"{line.recorded_by}记录" if line.recorded_by else "",
                               f"{line.agreed_by}同意" if line.agreed_by else "") if p)
    return f"{line.note}{f'（{who}）' if who else ''}"
