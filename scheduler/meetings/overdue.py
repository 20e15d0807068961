"""The overdue notice and the warning before it (issue 15).

- The notice (each month's first working day, `meetings.overdue_notice`) reports the periods that have just
  ended: always the month before, the quarter before when a quarter has just ended, the year before in January.
  It never looks at the month just begun, whose meetings cannot be due yet.
- The warning (scheduler/month_end.py: the first working day of a month's last `warning_days` days) speaks of
  what is still missing in the periods about to end: the month, the quarter in March, June, September and
  December, the year in December. It says nothing outside those days (a late run of its job).

Pure: compliance in, lines and texts out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from scheduler.meetings.quota import Compliance, overdue_lines, period_bounds, period_label, verbs

__all__ = ["ended_day", "ended_periods", "ended_lines", "ended_text", "warning_due", "closing_periods",
           "warning_lines", "warning_text", "days_left"]


def ended_day(day: date) -> date:
    """The last day of the month before `day`'s: the day whose periods the notice reports."""
    return period_bounds("month", day)[0] - timedelta(days=1)


def _ending(last: date) -> tuple[str, ...]:
    """The periods that end with `last`'s month."""
    return ("month",) + (("quarter",) if last.month % 3 == 0 else ()) + (("year",) if last.month == 12 else ())


def ended_periods(day: date) -> tuple[str, ...]:
    """The periods that ended when `day`'s month began: month; quarter in Jan/Apr/Jul/Oct; year in January."""
    return _ending(ended_day(day))


def ended_lines(checks: Iterable[Compliance], day: date) -> list[str]:
    """Checks made on ended_day(day): one line per type whose period has just ended behind, e.g.
    「2026年11月未召开支部委员会会议（要求 1 次，已开 0 次）」."""
    lines = []
    ended = ended_periods(day)
    for c in checks:
        if not c.behind or c.period not in ended:
            continue
        verb, done = verbs(c.type.key)
        when = period_label(c.period, c.period_start)
        counts = f"（要求 {c.required} 次，{done} {c.held} 次）"
        missing = f"未{verb}{c.type.name}" if c.held == 0 else f"{c.type.name}少{verb} {c.required - c.held} 次"
        lines.append(f"{when}{missing}{counts}")
    return lines


def ended_text(branch: str, day: date, lines: list[str]) -> str:
    return (f"📋 {branch} 三会一课提醒（{day:%Y-%m-%d}）：\n"
            + "\n".join(f"· {line}" for line in lines)
            + "\n请尽快补开；已召开但未录入的，请补记签到和会议记录。发送「会议统计」查看详情。")


def days_left(day: date) -> int:
    """Days from `day` to the end of its month, `day` included."""
    return (period_bounds("month", day)[1] - day).days


def warning_due(day: date, warning_days: int) -> bool:
    """Whether `day` is in the last `warning_days` days of its month (0: never)."""
    return warning_days > 0 and days_left(day) <= warning_days


def closing_periods(day: date) -> tuple[str, ...]:
    """The periods that end with `day`'s month."""
    return _ending(day)


def warning_lines(checks: Iterable[Compliance], day: date) -> list[str]:
    """Checks made on `day`: the lines of those behind whose period ends with this month."""
    closing = closing_periods(day)
    return overdue_lines((c for c in checks if c.period in closing), day)


def warning_text(branch: str, day: date, lines: list[str]) -> str:
    left = "今天是本月最后一天" if days_left(day) == 1 else f"本月还剩 {days_left(day)} 天"
    return (f"⏳ {branch} 三会一课提醒（{day:%Y-%m-%d}）：{left}，以下会议尚未完成：\n"
            + "\n".join(f"· {line}" for line in lines)
            + "\n发送「安排会议」安排，发送「会议统计」查看详情。")
