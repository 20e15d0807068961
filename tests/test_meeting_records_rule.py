"""Held or 待补记录 (scheduler/meetings/records.py) and when the 书记 is reminded: pure, no fakes but a calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from scheduler.meetings import meeting_status
from scheduler.meetings.records import reminder_at, reminder_day, reminder_due
from scheduler.shanghai import TZ
from scheduler.workdays import WorkCalendar

START = datetime(2026, 3, 6, 14, 30)  # a Friday
CALENDAR = WorkCalendar()


@pytest.mark.parametrize(("now", "has_minutes", "attended", "status"), [
    (START - timedelta(minutes=1), True, 3, "upcoming"),  # not started: neither held nor pending, whatever exists
    (START, False, 0, "pending"),
    (START + timedelta(days=2), False, 0, "pending"),
    (START + timedelta(hours=1), False, 1, "held"),  # one attendance record is enough
    (START + timedelta(hours=1), True, 0, "held"),  # minutes alone are enough
])
def test_a_meeting_is_held_once_started_with_minutes_or_attendance_and_otherwise_pending(
        now: datetime, has_minutes: bool, attended: int, status: str) -> None:
    assert meeting_status(START, now, has_minutes=has_minutes, attended=attended) == status


def test_aware_and_naive_times_are_read_alike() -> None:
    assert meeting_status(START.replace(tzinfo=TZ), START + timedelta(seconds=1), has_minutes=False,
                          attended=0) == "pending"


@pytest.mark.parametrize(("start", "day"), [
    (START, date(2026, 3, 9)),  # Friday: the Monday after
    (datetime(2026, 3, 3, 9, 0), date(2026, 3, 4)),  # Tuesday: Wednesday
    (datetime(2026, 3, 3, 23, 30), date(2026, 3, 4)),  # late in the evening: still the next day
    (datetime(2026, 9, 30, 14, 0), date(2026, 10, 8)),  # before 国庆: the first workday after the holiday
])
def test_the_reminder_day_is_the_next_working_day_after_the_meeting(start: datetime, day: date) -> None:
    assert reminder_day(start, CALENDAR) == day


def test_the_reminder_day_follows_the_configured_calendar() -> None:
    calendar = WorkCalendar(holidays=[date(2026, 3, 9)])
    assert reminder_day(START, calendar) == date(2026, 3, 10)


def test_the_reminder_is_due_from_nine_on_that_day_for_a_week() -> None:
    at = reminder_at(START, CALENDAR)
    assert at == datetime(2026, 3, 9, 9, 0, tzinfo=TZ)
    assert not reminder_due(START, datetime(2026, 3, 9, 8, 59), CALENDAR)
    assert not reminder_due(START, datetime(2026, 3, 7, 9, 0), CALENDAR)  # Saturday: not yet
    assert reminder_due(START, datetime(2026, 3, 9, 9, 0), CALENDAR)
    assert reminder_due(START, datetime(2026, 3, 16, 8, 59), CALENDAR)  # missed while down: still within a week
    assert not reminder_due(START, datetime(2026, 3, 16, 9, 0), CALENDAR)  # an old meeting is not brought up
