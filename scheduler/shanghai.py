"""Asia/Shanghai wall-clock time, the bot's one time zone: the zone, naive times read as Shanghai's (the rest of
the app, bot/clock.py and storage, keeps naive wall-clock times), and a moment written as members read it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["TZ", "WEEKDAY_NAMES", "FARTHEST_AHEAD", "as_shanghai", "format_time"]

TZ = ZoneInfo("Asia/Shanghai")
WEEKDAY_NAMES = "一二三四五六日"  # Monday first, as date.weekday() counts
# How far ahead a meeting or a one-off push may be arranged (两年): a year typed wrong (9999) is caught, and a
# meeting near the calendar's end would overflow every sign-in window computed from it.
FARTHEST_AHEAD = timedelta(days=731)


def as_shanghai(dt: datetime) -> datetime:
    """Naive datetimes are Asia/Shanghai wall-clock times (the bot's convention)."""
    return dt.replace(tzinfo=TZ) if dt.tzinfo is None else dt.astimezone(TZ)


def format_time(dt: datetime) -> str:
    """'12月1日（周二）09:00' in Asia/Shanghai."""
    dt = as_shanghai(dt)
    return f"{dt.month}月{dt.day}日（周{WEEKDAY_NAMES[dt.weekday()]}）{dt:%H:%M}"
