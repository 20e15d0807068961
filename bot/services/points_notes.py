"""What a member is told about the 党建积分 an action earned: the points, and — once, the first time a cap holds
some back — that the category's cap for the day or month is reached."""

from __future__ import annotations

from bot.storage.points import Award, Reached
from scheduler.points import CATEGORY_LABELS, Category, PointsRules

__all__ = ["cap_reached_text", "cap_reached_names", "gained_text", "cap_note", "over_cap"]

_PERIOD = {"daily": ("今日", "每日"), "monthly": ("本月", "每月")}


def cap_reached_text(rules: PointsRules, category: Category, reached: Reached) -> str:
    when, every = _PERIOD[reached]
    cap = rules.cap(category)
    limit = cap.daily if reached == "daily" else cap.monthly
    label = CATEGORY_LABELS[category]
    return (f"{when}{label}积分已达上限（{every} {limit} 分），之后仍可参加，成绩照常记录，"
            f"但{'今日' if reached == 'daily' else '本月'}不再计入党建积分。")


def cap_reached_names(rules: PointsRules, category: Category, reached: dict[int, Reached],
                      names: dict[int, str]) -> str:
    """One line for a group: who reached a cap with this question (by cap), or ""."""
    lines = []
    for which in ("daily", "monthly"):
        who = [names.get(m, "") for m, r in reached.items() if r == which]
        if who:
            shown = "、".join(who[:10]) + (f" 等 {len(who)} 人" if len(who) > 10 else "")
            lines.append(f"📌 {shown}：{cap_reached_text(rules, category, which)}")  # type: ignore[arg-type]
    return "\n".join(lines)


def gained_text(award: Award) -> str:
    """「，获得 2 分」, with what a cap held back."""
    if award.paid and award.withheld:
        return f"，获得 {award.paid} 分（另有 {award.withheld} 分超出积分上限，未计入）"
    if award.paid:
        return f"，获得 {award.paid} 分"
    return "，已超出积分上限，本次不计分" if award.withheld else ""


def over_cap(award: Award) -> str:
    """The short line for an answer whose points a cap held back, after the member has been told of the cap."""
    return "已超出积分上限，本次不计分。" if award.withheld and not award.paid else ""


def cap_note(award: Award, rules: PointsRules, category: Category) -> str:
    """The sentence telling a member a cap is reached: only with the first points it held back."""
    return cap_reached_text(rules, category, award.reached) if award.reached else ""
