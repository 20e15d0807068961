"""Ranking periods (本周, 本月, 本季度, 本年, 总) and the keys points are totalled under."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

__all__ = ["Period", "PERIOD_WORDS", "PERIOD_LABELS", "period_key", "period_keys", "parse_period", "period_start"]


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    ALL = "all"


PERIOD_LABELS = {
    Period.WEEK: "本周", Period.MONTH: "本月", Period.QUARTER: "本季度", Period.YEAR: "本年", Period.ALL: "总",
}
PERIOD_WORDS = {
    **{label: period for period, label in PERIOD_LABELS.items()},
    "周": Period.WEEK, "月": Period.MONTH, "季度": Period.QUARTER, "季": Period.QUARTER,
    "年": Period.YEAR, "年度": Period.YEAR, "本年度": Period.YEAR, "全部": Period.ALL, "总榜": Period.ALL,
    "累计": Period.ALL,
    **{period.value: period for period in Period},
}


def parse_period(word: str | None, default: Period = Period.ALL) -> Period | None:
    if not word:
        return default
    return PERIOD_WORDS.get(word.strip().lower())


def period_key(period: Period, day: date) -> str:
    """The key under which points earned on `day` count for `period` (ISO weeks start on Monday)."""
    if period is Period.WEEK:
        year, week, _ = day.isocalendar()
        return f"W{year}-{week:02d}"
    if period is Period.MONTH:
        return f"M{day.year}-{day.month:02d}"
    if period is Period.QUARTER:
        return f"Q{day.year}-{(day.month - 1) // 3 + 1}"
    if period is Period.YEAR:
        return f"Y{day.year}"
    return "ALL"


def period_keys(day: date) -> list[str]:
    return [period_key(p, day) for p in Period]


def period_start(period: Period, day: date) -> date | None:
    """The first day of the period holding `day` (None for 总: since the beginning)."""
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    if period is Period.QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if period is Period.YEAR:
        return date(day.year, 1, 1)
    return None
