"""The one source of 'now', and of waiting. Real time in service, simulated time in scripts and tests."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["Clock", "SystemClock", "ManualClock", "SHANGHAI"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """Naive Asia/Shanghai wall-clock time."""

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time (the outbox's retries and polling)."""

    def pause(self, seconds: float) -> None:
        """Block for `seconds` of this clock's time: the dispatcher's short pause before it tries a
        message again that met a busy database (it runs where blocking is already the rule)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(SHANGHAI).replace(tzinfo=None)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)


class ManualClock:
    """Moves only when told to: conversation scripts and tests drive it. Sleeping on it moves it on at once,
    so a retry an hour later is tested without waiting."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError("time cannot go backwards")
        self._now = when

    async def sleep(self, seconds: float) -> None:
        self.pause(seconds)
        await asyncio.sleep(0)  # the others on the loop run, as they would while a real sleep waits

    def pause(self, seconds: float) -> None:
        self.set(self._now + timedelta(seconds=max(0.0, seconds)))
