"""What members are told about a meeting: reminders before it (when, and the text), the sign-in window, and the
announcements of a change or a cancellation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from scheduler.shanghai import as_shanghai, format_time

__all__ = ["DEFAULT_OFFSETS", "reminder_times", "reminder_text", "when_text", "details_text", "signin_window",
           "signin_state", "changed_text", "cancelled_text"]

DEFAULT_OFFSETS: tuple[timedelta, ...] = (timedelta(days=3), timedelta(days=1), timedelta(hours=1))


def reminder_times(start: datetime, offsets: Sequence[timedelta] = DEFAULT_OFFSETS, *,
                   now: datetime | None = None) -> list[tuple[timedelta, datetime]]:
    """(offset, when) for each reminder, earliest first; with `now`, those not after it are left out
    (a meeting scheduled for tomorrow gets no "3 days before" reminder)."""
    start = as_shanghai(start)
    due = sorted(((o, start - o) for o in offsets), key=lambda pair: pair[1])
    return [pair for pair in due if now is None or pair[1] > as_shanghai(now)]


def _span(delta: timedelta) -> str:
    """3 天, 1 小时, 1 天 6 小时, 30 分钟."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "天"), (hours, "小时"), (minutes, "分钟")) if n]
    return " ".join(parts) or "0 分钟"


# A meeting's time reads like a plan's: 「12月1日（周二）14:30」.
when_text = format_time


def details_text(place: str, topic: str) -> str:
    """The 地点 and 主题 lines (each left out when empty)."""
    # Empty place or topic lines are left out rather than shown as 「地点：」.
    return "".join(f"\n{label}：{value}" for label, value in (("地点", place), ("主题", topic)) if value)


def reminder_text(meeting_name: str, start: datetime, place: str, topic: str, offset: timedelta,
                  verb: str = "召开") -> str:
    """`verb`: 召开 for a meeting, 开展 for a 党课 or 主题党日 (quota.verbs)."""
    return (f"⏰ 会议提醒：{meeting_name}将于 {when_text(start)} {verb}（还有 {_span(offset)}）"
            f"{details_text(place, topic)}\n请准时参加，到会后发送「签到」。")


def signin_window(start: datetime, before: timedelta = timedelta(minutes=30),
                  after: timedelta = timedelta(hours=2)) -> tuple[datetime, datetime]:
    """(opens, closes), both inclusive: members arriving early or late can still sign in."""
    start = as_shanghai(start)
    return start - before, start + after


def signin_state(start: datetime, now: datetime, before: timedelta = timedelta(minutes=30),
                 after: timedelta = timedelta(hours=2)) -> Literal["early", "open", "closed"]:
    opens, closes = signin_window(start, before, after)
    now = as_shanghai(now)
    return "early" if now < opens else "open" if now <= closes else "closed"


def changed_text(meeting_name: str, old_start: datetime, start: datetime, place: str, topic: str, *,
                 old_place: str | None = None, verb: str = "召开") -> str:
    """The announcement of a changed meeting: what changed first, then the meeting as it now stands."""
    changes = []
    if as_shanghai(old_start) != as_shanghai(start):
        changes.append(f"时间由 {when_text(old_start)} 改为 {when_text(start)}")
    if old_place is not None and old_place != place:
        changes.append(f"地点由 {old_place or '未定'} 改为 {place or '未定'}")
    head = "，".join(changes) if changes else f"信息已更新，仍于 {when_text(start)} {verb}"
    return f"📢 会议变更：{meeting_name}{head}{details_text(place, topic)}\n请相互转告，按新安排参加。"


def cancelled_text(meeting_name: str, start: datetime, place: str = "", reason: str = "", verb: str = "召开") -> str:
    extra = "".join(f"\n{label}：{value}" for label, value in (("原地点", place), ("原因", reason)) if value)
    return f"❌ 会议取消：原定 {when_text(start)} {verb}的{meeting_name}取消。{extra}\n请相互转告。"

