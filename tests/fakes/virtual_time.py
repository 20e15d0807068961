"""Virtual time for a whole scenario on loopback: the bot's clock (`now`, `sleep`), the channels'
(`monotonic`, `sleep`) and a fake platform's (`call_at`, from its own thread) are one clock, and
it moves only in `run`, one timer at a time, each fired once everything else has settled.

"Settled" is two things. Nothing on the loop is left to run: `run` lets the loop go round until
nothing it watches (`touch` counts changes) has moved for a while. And nothing is on the wire
that the other side has not dealt with: `settled()` (the test's) says so, for instance "every
request the client has open is one the fake is holding". So an hour of retries takes
milliseconds, and which of two waits ends first never depends on how busy the machine is.

    vt = VirtualTime(T0, settled=lambda: wire.open <= fake.held)
    await vt.run(lambda: all_done(), limit=3600)"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["VirtualTime"]

QUIET_ROUNDS = 30  # loop rounds with nothing moving before a timer may fire


class _Timer:
    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback, self.cancelled = callback, False


class VirtualTime:
    def __init__(self, start: datetime, *, settled: Callable[[], bool] = lambda: True) -> None:
        self.start, self.elapsed = start, 0.0
        self.settled = settled
        self.changes = 0
        self._timers: list[tuple[float, int, _Timer]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    # ----- the clocks the code under test is given -----

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        timer = self.call_at(self.elapsed + max(0.0, seconds), lambda: future.done() or future.set_result(None))
        try:
            await future
        except asyncio.CancelledError:
            timer.cancelled = True  # a wait given up moves time on to nowhere
            raise

    # ----- the fakes' side -----

    def call_at(self, due: float, callback: Callable[[], None]) -> _Timer:
        """Call `callback` (on the loop) when the time reaches `due`; from any thread."""
        timer = _Timer(callback)
        with self._lock:
            heapq.heappush(self._timers, (due, next(self._seq), timer))
            self.changes += 1
        return timer

    def touch(self) -> None:
        """Something moved (a request opened or closed): settling starts over. From any thread."""
        with self._lock:
            self.changes += 1

    # ----- the test's side -----

    async def run(self, done: Callable[[], bool], *, limit: float, patience: float = 20.0) -> None:
        """Fire timers in order until `done()`; AssertionError when time would pass `limit` seconds,
        when nothing is left to wait for, or when the scenario does not settle within `patience`
        real seconds."""
        while True:
            await self._settle(patience)
            if done():
                return
            with self._lock:
                while self._timers and self._timers[0][2].cancelled:
                    heapq.heappop(self._timers)
                due, _, timer = self._timers[0] if self._timers else (0.0, 0, None)
            if timer is None:  # only something on a real clock can move it on now: wait for that
                await self._moved(patience)
                continue
            with self._lock:
                heapq.heappop(self._timers)
                self.changes += 1
            if due > limit:
                raise AssertionError(f"not done within {limit:g} s")
            self.elapsed = max(self.elapsed, due)
            timer.callback()

    async def _moved(self, patience: float) -> None:
        seen, deadline = self.changes, time.monotonic() + patience
        while self.changes == seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing left to wait for at +{self.elapsed:g} s, and not done")
            await asyncio.sleep(0.01)

    async def _settle(self, patience: float) -> None:
        deadline = time.monotonic() + patience
        quiet, seen = 0, -1
        while quiet < QUIET_ROUNDS:
            await asyncio.sleep(0)
            if self.settled() and self.changes == seen:
                quiet += 1
                continue
            quiet, seen = 0, self.changes
            if not self.settled():
                await asyncio.sleep(0.001)  # bytes on their way over loopback, a fake's thread at work
            if time.monotonic() > deadline:
                raise AssertionError(f"never settled at +{self.elapsed:g} s")
