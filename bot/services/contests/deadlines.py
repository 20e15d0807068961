"""Each group's question deadline and halfway progress line on the contest timers (bot/timers.py): one timer
of each per group, replaced when the next question opens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.timers import Timers

__all__ = ["Deadlines"]


class Deadlines:
    def __init__(self, timers: Timers) -> None:
        self._timers = timers

    def arm(self, group_id: int, due: datetime, on_due: Callable[[int, datetime], None]) -> None:
        """Call `on_due(group_id, due)` at `due`; the group's earlier deadline, if any, is dropped."""
        self._timers.schedule(f"contest:{group_id}", due, lambda at: on_due(group_id, at))

    def arm_progress(self, group_id: int, due: datetime, on_due: Callable[[int, datetime], None]) -> None:
        """Call `on_due(group_id, due)` at `due` (halfway through the question), unless the question closes
        first (`cancel`) or the next one re-arms it."""
        self._timers.schedule(f"contest-progress:{group_id}", due, lambda at: on_due(group_id, at))

    def arm_round(self, round_id: int, due: datetime, on_due: Callable[[int, datetime], None]) -> None:
        """A 全委竞赛's one deadline for all of its groups."""
        self._timers.schedule(f"contest-round:{round_id}", due, lambda at: on_due(round_id, at))

    def arm_later(self, key: str, due: datetime, then: Callable[[], None]) -> None:
        """Call `then()` at `due`: work that follows a step (a 全委竞赛's points, written in parts)."""
        self._timers.schedule(f"contest-later:{key}", due, lambda _at: then())

    def cancel(self, group_id: int) -> None:
        self._timers.cancel(f"contest:{group_id}")
        self._timers.cancel(f"contest-progress:{group_id}")

    def cancel_round(self, round_id: int) -> None:
        self._timers.cancel(f"contest-round:{round_id}")
