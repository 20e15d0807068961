"""Held or 待补记录: whether a meeting counts as held, and when its branch's 书记 is reminded to record it.

A meeting (not cancelled) counts as held once its start has passed and its minutes (会议记录) or at least one
attendance record (出席 or 列席; a 请假 alone proves nothing) exist; a meeting whose start has passed without
either is pending record (待补记录). Its 书记 is reminded at 09:00 on the next working day after the meeting's
day, once; a reminder missed (the bot was down) still goes within a week, never for older meetings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from scheduler.meetings.parsing import WorkdayCalendar
from scheduler.shanghai import as_shanghai
from scheduler.workdays import walk_days

__all__ = ["MeetingStatus", "STATUS_NAMES", "status_name", "REMINDER_TIME", "REMINDER_WITHIN", "meeting_status",
           "reminder_day", "reminder_at", "reminder_due"]

MeetingStatus = Literal["upcoming", "held", "pending"]
STATUS_NAMES: dict[MeetingStatus, str] = {"upcoming": "未召开", "held": "已召开", "pending": "待补记录"}


def status_name(status: MeetingStatus, verb: str = "召开") -> str:
    """「已召开」, or for a 党课 or 主题党日 (verb 开展) 「已开展」."""
    return STATUS_NAMES[status].replace("召开", verb)
REMINDER_TIME = time(9, 0)
REMINDER_WITHIN = timedelta(days=7)


def meeting_status(start: datetime, now: datetime, *, has_minutes: bool, attended: int) -> MeetingStatus:
    """`attended`: how many attendance records say 出席 or 列席 (签到 or 补记)."""
    if as_shanghai(start) > as_shanghai(now):
        return "upcoming"
    return "held" if has_minutes or attended > 0 else "pending"


def reminder_day(start: datetime, calendar: WorkdayCalendar) -> date:
    """The next working day after the day the meeting started."""
    return walk_days(as_shanghai(start).date() + timedelta(days=1), 1, calendar.is_workday)


def reminder_at(start: datetime, calendar: WorkdayCalendar) -> datetime:
    return as_shanghai(datetime.combine(reminder_day(start, calendar), REMINDER_TIME))


def reminder_due(start: datetime, now: datetime, calendar: WorkdayCalendar,
                 within: timedelta = REMINDER_WITHIN) -> bool:
    """Whether a meeting still 待补记录 at `now` is to be reminded of now: from 09:00 on the next working day
    after it, for `within` (a reminder missed while the bot was down; an old meeting is not brought up)."""
    at = reminder_at(start, calendar)
    return at <= as_shanghai(now) < at + within
