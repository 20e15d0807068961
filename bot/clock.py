"""The one source of 'now'. Real time in service, simulated time in scripts and tests."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["Clock", "SystemClock", "ManualClock", "SHANGHAI"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """Naive Asia/Shanghai wall-clock time."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(SHANGHAI).replace(tzinfo=None)


class ManualClock:
    """Moves only when told to: conversation scripts and tests drive it."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError("time cannot go backwards")
        self._now = when
