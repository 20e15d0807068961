"""How often one item may be pushed to one target: a schedule that fires more often than
`schedule.min_push_interval_hours` (once a day by default) is refused when it is arranged (安排推送,
`studybot push add`) or read from a plan file, before a job ever runs. A push every minute to every group of a branch
is a flood, not a study plan. Judged from the triggers (scheduler/frequency.py), not from the words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from bot.clock import SHANGHAI
from scheduler.frequency import crowded

__all__ = ["PushRate"]


def _span(gap: timedelta) -> str:
    """「1 分钟」「12 小时」「1 天 3 小时」"""
    minutes = int(gap.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    parts = [f"{days} 天" if days else "", f"{hours} 小时" if hours else "", f"{minutes} 分钟" if minutes else ""]
    return " ".join(p for p in parts if p) or "0 分钟"


class PushRate:
    def __init__(self, *, interval: timedelta, now: Callable[[], datetime], describe_time: Callable[[datetime], str]
                 ) -> None:
        self._interval, self._now, self._describe = interval, now, describe_time

    def _limit(self) -> str:
        hours = int(self._interval.total_seconds() // 3600)
        return "每天最多推送一次" if hours == 24 else f"至少间隔 {hours} 小时推送一次"

    def refusal(self, text: str, trigger: BaseTrigger, others: Sequence[tuple[int, BaseTrigger]] = ()) -> str | None:
        """Why `trigger` (the schedule written `text`) may not push an item to a target in chat or on the command
        line, together with `others`, the (number, trigger) of the pushes already arranged for that item and target;
        None when it may."""
        found, together = self._crowded([trigger]), ""
        for number, other in others:
            if found is not None:
                break
            found, together = self._crowded([trigger, other]), f"和已安排的推送（编号 {number}）"
        if found is None:
            return None
        return (f"推送太频繁：「{text}」{together}{self._when(found)}。同一资料向同一个群{self._limit()}，"
                "可以改为「每天 09:00」「每周一 09:00」这样的时间。")

    def plan_refusal(self, text: str, trigger: BaseTrigger) -> str | None:
        """The same for a plan entry (its items in turn, or its contest, to its targets), told to whoever edits
        the plan file."""
        found = self._crowded([trigger])
        if found is None:
            return None
        return (f"推送太频繁：「{text}」{self._when(found)}。同一内容向同一目标{self._limit()}"
                "（schedule.min_push_interval_hours）。")

    def _crowded(self, triggers: list[BaseTrigger]) -> tuple[datetime, datetime] | None:
        return crowded(triggers, start=self._now().replace(tzinfo=SHANGHAI), gap=self._interval)

    def _when(self, pair: tuple[datetime, datetime]) -> str:
        first, second = pair
        if first == second:
            return f"在 {self._describe(first)} 同时推送两次"
        return f"在 {self._describe(first)} 和 {self._describe(second)} 各推送一次，只隔 {_span(second - first)}"
