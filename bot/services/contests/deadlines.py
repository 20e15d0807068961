"""Each group's question deadline on the contest timers (bot/timers.py): one timer per group, replaced
when the next question opens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.timers import Timers

__all__ = ["Deadlines"]


class Deadlines:
    def __init__(self, timers: Timers) -> None:
        self._timers = timers

    @staticmethod
    def _key(group_id: int) -> str:
        return f"contest:{group_id}"

    def arm(self, group_id: int, due: datetime, on_due: Callable[[int, datetime], None]) -> None:
        """Call `on_due(group_id, due)` at `due`; the group's earlier deadline, if any, is dropped."""
        self._timers.schedule(self._key(group_id), due, lambda at: on_due(group_id, at))

    def cancel(self, group_id: int) -> None:
        self._timers.cancel(self._key(group_id))
