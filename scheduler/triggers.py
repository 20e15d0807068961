"""APScheduler 3 triggers that know about Chinese workdays.

* `ShiftedTrigger` wraps any trigger (cron, date, interval) and moves a fire time that lands on a
  non-workday to the next workday at the same wall-clock time, or drops it.
* `MonthlyWorkdayTrigger` fires on the n-th (or last) workday of each month.

Both are pickled by APScheduler's SQLAlchemy job store, so their state is versioned the way
APScheduler's own triggers do it and holds only plain values, frozensets and other triggers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger

from scheduler.pickled import check_version, state_key
from scheduler.shanghai import TZ, as_shanghai
from scheduler.workdays import MAX_SEARCH_DAYS, WorkCalendar, walk_days

__all__ = ["TZ", "POLICIES", "as_shanghai", "ShiftedTrigger", "MonthlyWorkdayTrigger"]

log = logging.getLogger(__name__)

POLICIES = ("next_workday", "skip", "none")

# Upper bounds on how many base fire times one `get_next_fire_time` call may look at. A daily
# cron needs a handful; only a minutely cron across a long holiday gets near them.
MAX_STEPS = 5000
LOOKBACK_STEPS = 2000
MAX_MONTHS = 1200  # 100 years: enough for any months filter / rare n-th workday
# A shifted trigger with nothing to fire within this long (e.g. Saturdays only, policy "skip") never
# fires; saying so (None) beats walking thousands of base times on every call.
HORIZON = timedelta(days=5 * 366)


class ShiftedTrigger(BaseTrigger):
    """`base`'s fire times, moved off non-workdays.

    policy:
      "next_workday" – same wall-clock time on the next workday;
      "skip"         – drop fire times on non-workdays;
      "none"         – keep them.
    `keep_weekdays` (0 = Monday … 6 = Sunday) are never moved: a plan the user explicitly put on
    Sunday should not become a Monday plan just because Sundays are not workdays.

    The result is the set {shift(b) for every base time b}; each call returns the smallest
    element after `previous_fire_time` (strictly, so two base times moved onto the same time
    fire once) or, on the first call, at or after `now`. A holiday base time *before* `now` that
    was moved to after `now` therefore still fires, and listing a window gives the same times
    however it is entered.
    """

    __slots__ = ("base", "calendar", "policy", "keep_weekdays")

    def __init__(
        self,
        base: BaseTrigger,
        calendar: WorkCalendar,
        policy: str = "next_workday",
        *,
        keep_weekdays: Iterable[int] = (),
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
        keep = frozenset(keep_weekdays)
        if any(not 0 <= w <= 6 for w in keep):
            raise ValueError(f"keep_weekdays must be 0..6, got {sorted(keep)}")
        self.base = base
        self.calendar = calendar
        self.policy = policy
        self.keep_weekdays = keep

    def shift(self, fire_time: datetime) -> datetime | None:
        """Where one base fire time ends up (None: dropped)."""
        t = as_shanghai(fire_time)
        if self.policy == "none" or t.weekday() in self.keep_weekdays or self.calendar.is_workday(t.date()):
            return t
        if self.policy == "skip":
            return None
        try:
            day = self.calendar.next_workday(t.date())
        except ValueError:
            # Only a misconfigured calendar gets here; dropping one fire beats crashing the scheduler.
            log.warning("no workday within %d days after %s; fire time dropped", MAX_SEARCH_DAYS, t)
            return None
        return datetime.combine(day, t.time(), tzinfo=TZ)

    def _fires_on(self, day: date) -> bool:
        return day.weekday() in self.keep_weekdays or self.calendar.is_workday(day)

    def _search_start(self, floor: datetime) -> datetime:
        """Earliest base time that could be shifted to after `floor`.

        Moving goes forward over a run of non-workdays only, so base times before `floor` matter
        only inside the run of non-workdays that ends at floor's day.
        """
        if self.policy != "next_workday":
            return floor
        day = walk_days(floor.date(), -1, lambda d: self._fires_on(d - timedelta(days=1)))
        return min(floor, datetime.combine(day, time(0), tzinfo=TZ))

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        now = as_shanghai(now)
        if previous_fire_time is not None:
            floor, strict = as_shanghai(previous_fire_time), True
        else:
            # A DateTrigger reports its run date even when it is past (APScheduler then applies the
            # misfire grace time); keep that behaviour instead of silently losing the job.
            first = self.base.get_next_fire_time(None, now)
            floor = min(now, as_shanghai(first)) if first is not None else now
            strict = False

        best: datetime | None = None
        base_time = self.base.get_next_fire_time(None, self._search_start(floor))
        for step in range(1, MAX_STEPS + 1):
            if base_time is None:
                break
            b = as_shanghai(base_time)
            # shift(b) >= b, so nothing from here on can beat `best`.
            if best is not None and b >= best:
                break
            if b - floor > HORIZON:  # not floor + HORIZON: that overflows near the year 9999
                log.warning("%s: nothing to fire within %d days after %s", self, HORIZON.days, floor)
                break
            if b < floor and step == LOOKBACK_STEPS:
                # The look-back is a refinement; a dense base trigger must not use up the budget.
                jumped = self.base.get_next_fire_time(None, floor)
                if jumped is not None and as_shanghai(jumped) > b:
                    base_time = jumped
                    continue
            if self.policy == "skip" and not self._fires_on(b.date()):
                # Everything on this day would be dropped: jump to the next day that can fire.
                day = walk_days(b.date() + timedelta(days=1), 1, self._fires_on)
                nxt = self.base.get_next_fire_time(None, datetime.combine(day, time(0), tzinfo=TZ))
                base_time = nxt if nxt is not None and as_shanghai(nxt) > b else None
                continue
            shifted = self.shift(b)
            if shifted is not None and (shifted > floor if strict else shifted >= floor):
                if best is None or shifted < best:
                    best = shifted
            nxt = self.base.get_next_fire_time(base_time, base_time)
            # A base trigger that does not move forward would keep us here until the budget runs out.
            base_time = nxt if nxt is not None and as_shanghai(nxt) > b else None
        else:
            log.warning("%s: gave up after %d base fire times", self, MAX_STEPS)
        return best

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "base": self.base,
            "calendar": self.calendar,
            "policy": self.policy,
            "keep_weekdays": self.keep_weekdays,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        check_version(type(self), state, 1)
        self.base = state["base"]
        self.calendar = state["calendar"]
        self.policy = state["policy"]
        self.keep_weekdays = frozenset(state.get("keep_weekdays", ()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ShiftedTrigger):
            return NotImplemented
        return (
            state_key(self.base) == state_key(other.base)
            and self.calendar == other.calendar
            and self.policy == other.policy
            and self.keep_weekdays == other.keep_weekdays
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like APScheduler's triggers

    def __str__(self) -> str:
        keep = f", keep={sorted(self.keep_weekdays)}" if self.keep_weekdays else ""
        return f"shifted[{self.base}, {self.policy}{keep}]"

    def __repr__(self) -> str:
        keep = f", keep_weekdays={sorted(self.keep_weekdays)!r}" if self.keep_weekdays else ""
        return f"<{type(self).__name__} (base={self.base!r}, policy={self.policy!r}{keep})>"


class MonthlyWorkdayTrigger(BaseTrigger):
    """The n-th workday (n = -1: the last) of every month, or of the months in `months`, at hour:minute.

    A month with fewer than n workdays is skipped.
    """

    __slots__ = ("n", "hour", "minute", "calendar", "start_date", "end_date", "months")

    def __init__(
        self,
        n: int,
        hour: int,
        minute: int,
        calendar: WorkCalendar,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        *,
        months: Iterable[int] | None = None,
    ) -> None:
        if not (1 <= n <= 31 or n == -1):
            raise ValueError(f"n must be 1..31 or -1, got {n}")
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise ValueError(f"invalid time {hour}:{minute}")
        month_set = frozenset(months) if months is not None else None
        if month_set is not None and (not month_set or any(not 1 <= m <= 12 for m in month_set)):
            raise ValueError(f"months must be a non-empty set of 1..12, got {sorted(month_set)}")
        self.n = n
        self.hour = hour
        self.minute = minute
        self.calendar = calendar
        self.start_date = as_shanghai(start_date) if start_date is not None else None
        self.end_date = as_shanghai(end_date) if end_date is not None else None
        self.months = month_set

    def fire_time_in(self, year: int, month: int) -> datetime | None:
        """This trigger's fire time in one month (ignoring start/end dates), if it has one."""
        if self.months is not None and month not in self.months:
            return None
        day = self.calendar.nth_workday(year, month, self.n)
        return None if day is None else datetime.combine(day, time(self.hour, self.minute), tzinfo=TZ)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        if previous_fire_time is not None:
            # Strictly after what we returned last, so a job never runs twice for one month.
            floor, strict = as_shanghai(previous_fire_time), True
        else:
            floor = as_shanghai(now)
            if self.start_date is not None and self.start_date > floor:
                floor = self.start_date
            strict = False
        year, month = floor.year, floor.month
        for _ in range(MAX_MONTHS):
            candidate = self.fire_time_in(year, month)
            if candidate is not None:
                if self.end_date is not None and candidate > self.end_date:
                    return None
                after_start = self.start_date is None or candidate >= self.start_date
                if after_start and (candidate > floor if strict else candidate >= floor):
                    return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return None

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "n": self.n,
            "hour": self.hour,
            "minute": self.minute,
            "calendar": self.calendar,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "months": self.months,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        check_version(type(self), state, 1)
        self.n = state["n"]
        self.hour = state["hour"]
        self.minute = state["minute"]
        self.calendar = state["calendar"]
        self.start_date = state["start_date"]
        self.end_date = state["end_date"]
        self.months = state.get("months")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MonthlyWorkdayTrigger):
            return NotImplemented
        return self.__getstate__() == other.__getstate__()

    __hash__ = None  # type: ignore[assignment]

    def _options(self) -> list[str]:
        which = "last" if self.n == -1 else str(self.n)
        options = [f"n={which}", f"time='{self.hour:02d}:{self.minute:02d}'"]
        if self.months is not None:
            options.append(f"months={sorted(self.months)}")
        return options

    def __str__(self) -> str:
        return f"monthly_workday[{', '.join(self._options())}]"

    def __repr__(self) -> str:
        options = self._options()
        if self.start_date:
            options.append(f"start_date='{self.start_date.isoformat()}'")
        if self.end_date:
            options.append(f"end_date='{self.end_date.isoformat()}'")
        return f"<{type(self).__name__} ({', '.join(options)})>"
