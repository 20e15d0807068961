"""Which days are workdays: China's statutory holidays and 调休, with local overrides.

`chinese_calendar` ships the State Council's holiday schedule one year at a time, so a bot
that plans ahead (or keeps running past New Year without an upgrade) meets years it does not
know. Those years fall back to Monday–Friday, and `coverage_warning` tells the operator to add
the holidays by hand via `calendar.holidays` / `calendar.workdays` in the configuration.
"""

from __future__ import annotations

import calendar as _stdcal
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import chinese_calendar

__all__ = ["WorkCalendar", "MAX_SEARCH_DAYS", "walk_days"]

# The longest run of non-workdays in China is ~9 days (Spring Festival + weekend); 60 days only
# trips on a misconfiguration (e.g. a whole quarter listed as holidays), where we must not loop.
MAX_SEARCH_DAYS = 60


def walk_days(day: date, step: int, found: Callable[[date], bool]) -> date:
    """`day`, moved `step` days at a time until `found(day)` holds; after MAX_SEARCH_DAYS moves, wherever it is."""
    for _ in range(MAX_SEARCH_DAYS):
        if found(day):
            break
        day += timedelta(days=step)
    return day


@lru_cache(maxsize=8192)
def _library_is_workday(day: date) -> bool | None:
    """chinese_calendar's verdict, or None for a year it has no data for.

    Cached because triggers ask about the same few dates over and over, and the uncovered
    case costs an exception each time.
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


class WorkCalendar:
    """Workdays = overrides first, then chinese_calendar, then Monday–Friday.

    Only two frozensets are kept as state so the object pickles cheaply and stably: APScheduler's
    SQLAlchemy job store pickles the triggers that hold it.
    """

    __slots__ = ("holidays", "workdays")

    holidays: frozenset[date]
    workdays: frozenset[date]

    def __init__(self, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> None:
        # A date listed in both is a holiday: `is_workday` checks `holidays` first.
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)

    # -- pickling: explicit and versioned, like APScheduler's own triggers -------------------
    def __getstate__(self) -> dict[str, object]:
        return {"version": 1, "holidays": self.holidays, "workdays": self.workdays}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version", 1) > 1:
            raise ValueError(f"cannot read WorkCalendar state version {state['version']}")
        self.holidays = frozenset(state["holidays"])
        self.workdays = frozenset(state["workdays"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkCalendar):
            return NotImplemented
        return self.holidays == other.holidays and self.workdays == other.workdays

    def __hash__(self) -> int:
        return hash((self.holidays, self.workdays))

    def __repr__(self) -> str:
        return f"WorkCalendar(holidays={len(self.holidays)} dates, workdays={len(self.workdays)} dates)"

    # -- queries -----------------------------------------------------------------------------
    def is_workday(self, d: date) -> bool:
        if d in self.holidays:
            return False
        if d in self.workdays:
            return True
        verdict = _library_is_workday(d)
        if verdict is None:
            return d.weekday() < 5
        return verdict

    def next_workday(self, d: date) -> date:
        """`d` itself when it is a workday, else the first workday after it."""
        for offset in range(MAX_SEARCH_DAYS + 1):
            candidate = d + timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        raise ValueError(f"no workday within {MAX_SEARCH_DAYS} days after {d.isoformat()}")

    def workdays_in_month(self, year: int, month: int) -> list[date]:
        days_in_month = _stdcal.monthrange(year, month)[1]
        return [
            day
            for day in (date(year, month, n) for n in range(1, days_in_month + 1))
            if self.is_workday(day)
        ]

    def nth_workday(self, year: int, month: int, n: int) -> date | None:
        """The n-th workday (n ≥ 1) or the last one (n = -1); None if the month has fewer."""
        if n == 0 or n < -1:
            raise ValueError(f"n must be >= 1 or -1, got {n}")
        days = self.workdays_in_month(year, month)
        if n == -1:
            return days[-1] if days else None
        return days[n - 1] if n <= len(days) else None

    @staticmethod
    def covers(year: int) -> bool:
        """Whether chinese_calendar has the holiday schedule for `year`."""
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def coverage_warning(self, years: Iterable[int]) -> str | None:
        missing = sorted({y for y in years if not self.covers(y)})
        if not missing:
            return None
        names = "、".join(str(y) for y in missing)
        return (
            f"节假日数据不含 {names} 年：这些年份按周一至周五计算工作日，"
            "请在配置 calendar.holidays / calendar.workdays 中补充法定节假日和调休。"
        )
