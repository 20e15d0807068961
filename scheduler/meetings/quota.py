"""Meetings held against what each type requires per month, quarter or year, the lines that say which are
behind, and attendance rates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from scheduler.meetings.kinds import PERIODS, MeetingType
from scheduler.shanghai import as_shanghai

__all__ = ["period_bounds", "period_label", "Compliance", "compliance", "overdue_lines", "attendance_rate", "verbs"]

_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}  # compares and scales periods
# 党课 and 主题党日 are not "召开"-ed in natural Chinese.
_VERB = {key: ("开展", "已开展") for key in ("lecture", "theme_day", "secretary_lecture", "study_group")}


def verbs(type_key: str) -> tuple[str, str]:
    """(召开, 已开) or, for a 党课, 主题党日 or 学习, (开展, 已开展)."""
    return _VERB.get(type_key, ("召开", "已开"))


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"周期必须是 month、quarter 或 year，收到 {period!r}")


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """[start, end) of the month, quarter (Jan/Apr/Jul/Oct) or year containing `day`."""
    _check_period(period)
    first = (day.month - 1) // _MONTHS_IN[period] * _MONTHS_IN[period] + 1
    end_month = first + _MONTHS_IN[period]
    end = date(day.year + 1, 1, 1) if end_month > 12 else date(day.year, end_month, 1)
    return date(day.year, first, 1), end


def period_label(period: str, day: date) -> str:
    _check_period(period)
    if period == "month":
        return f"{day.year}年{day.month}月"
    if period == "quarter":
        return f"{day.year}年第{'一二三四'[(day.month - 1) // 3]}季度"
    return f"{day.year}年"


@dataclass(frozen=True)
class Compliance:
    type: MeetingType
    period_start: date  # inclusive
    period_end: date  # exclusive
    held: int
    required: int
    behind: bool  # held < required: not yet met (the period may still be running)
    period: str  # the period actually checked: month, quarter or year (see compliance())


def _as_date(d: date) -> date:
    # datetime is a date subclass but cannot be compared with one.
    return as_shanghai(d).date() if isinstance(d, datetime) else d


def compliance(types: Iterable[MeetingType], held_dates: Mapping[str, Sequence[date]], day: date, *,
               report_period: str | None = None) -> list[Compliance]:
    """Meetings held against the requirement, per type, for the period containing `day`.

    held_dates: type key -> days its meetings were held (dates or datetimes).
    Without report_period each type is checked over its own period. With one, over report_period:
    a finer type's requirement is multiplied (支委会 ×3 a quarter, ×12 a year); a coarser type (组织生活会 in a
    quarter report) requires nothing except in the last report period of its own period (Q4), where its whole
    period is checked — so its Compliance then spans the year, not the quarter.
    """
    if report_period is not None:
        _check_period(report_period)
    result = []
    for t in types:
        period, required = t.period, t.required
        if report_period is not None:
            own, report = _MONTHS_IN[t.period], _MONTHS_IN[report_period]
            if own <= report:
                period, required = report_period, t.required * (report // own)
            elif period_bounds(report_period, day)[1] != period_bounds(t.period, day)[1]:
                period, required = report_period, 0
        start, end = period_bounds(period, day)
        held = sum(start <= _as_date(d) < end for d in held_dates.get(t.key, ()))
        result.append(Compliance(t, start, end, held, required, held < required, period))
    return result


def _period_word(c: Compliance, day: date) -> str:
    if c.period_start <= day < c.period_end:
        return {"month": "本月", "quarter": "本季度", "year": "本年度"}[c.period]
    return period_label(c.period, c.period_start)


def overdue_lines(compliance_list: Iterable[Compliance], day: date) -> list[str]:
    """One Chinese line per type behind, e.g. 「本季度尚未召开支部党员大会（要求 1 次，已开 0 次）」."""
    lines = []
    for c in compliance_list:
        if not c.behind:
            continue
        verb, done = verbs(c.type.key)
        when = _period_word(c, day)
        counts = f"（要求 {c.required} 次，{done} {c.held} 次）"
        if c.held == 0:
            lines.append(f"{when}尚未{verb}{c.type.name}{counts}")
        else:
            lines.append(f"{when}{c.type.name}还差 {c.required - c.held} 次{counts}")
    return lines


def attendance_rate(attended: int, expected: int) -> float | None:
    """attended / expected in [0, 1]; None when nobody was expected. Guests can push attended above
    expected, which is capped at 1 so a rate never reads as more than 100%."""
    if attended < 0 or expected < 0:
        raise ValueError("出席人数和应到人数不能为负数")
    return None if expected == 0 else min(1.0, attended / expected)
