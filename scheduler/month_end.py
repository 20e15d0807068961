"""A trigger for the warning before a month ends: the first workday among a month's last `days` days, at
hour:minute (the last 7 days of November 2026 begin on Tuesday the 24th: it fires then, once that month)."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time, timedelta
from typing import Any

from scheduler.shanghai import TZ
from scheduler.triggers import MonthlyWorkdayTrigger
from scheduler.workdays import WorkCalendar

__all__ = ["MonthEndTrigger"]


class MonthEndTrigger(MonthlyWorkdayTrigger):
    """Fires once a month, on the first workday among its last `days` days; a month with no workday among them
    is skipped. Pickled like MonthlyWorkdayTrigger, with `days` added."""

    __slots__ = ("days",)

    def __init__(self, days: int, hour: int, minute: int, calendar: WorkCalendar) -> None:
        super().__init__(1, hour, minute, calendar)
        if not 1 <= days <= 27:
            raise ValueError(f"days must be 1..27, got {days}")
        self.days = days

    def fire_time_in(self, year: int, month: int) -> datetime | None:
        last = date(year, month, monthrange(year, month)[1])  # not the next month's first: no year 10000
        first = last - timedelta(days=self.days - 1)
        day = next((d for d in self.calendar.workdays_in_month(year, month) if d >= first), None)
        return None if day is None else datetime.combine(day, time(self.hour, self.minute), tzinfo=TZ)

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "days": self.days}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.days = state["days"]

    def _options(self) -> list[str]:
        return [f"last_days={self.days}", f"time='{self.hour:02d}:{self.minute:02d}'"]

    def __str__(self) -> str:
        return f"month_end_workday[{', '.join(self._options())}]"
