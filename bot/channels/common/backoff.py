"""Reconnect delays of the long-lived connections (the WeCom robot's websocket, DingTalk Stream)."""

from __future__ import annotations

import random
import time

from bot.channels.common.aio import Clock

__all__ = ["Backoff", "backoff_delay"]

SLOW_ATTEMPT = 30  # where refused credentials start: they do not fix themselves quickly


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before reconnect attempt `attempt` (0, 1, 2…): base doubling up to cap, with
    "equal jitter" (between half and all of it) so many bots never reconnect in step."""
    ceiling = min(cap, base * 2 ** min(attempt, 30))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Backoff:
    """The delays of one connection's reconnects: growing while it keeps failing, short again
    after a connection that stayed up `stable_after` seconds of `clock`."""

    def __init__(self, *, base: float, cap: float, stable_after: float, seed: int | None = None,
                 clock: Clock = time.monotonic) -> None:
        self._base, self._cap, self._stable_after, self._clock = base, cap, stable_after, clock
        self._rng = random.Random(seed)
        self._attempt = 0
        self._up_since: float | None = None

    def up(self) -> None:
        """The connection is working (subscribed, connected)."""
        self._up_since = self._clock()

    def next_delay(self, *, refused: bool = False) -> float:
        """Seconds to wait before the next attempt; `refused`: the platform refused our credentials."""
        if self._up_since is not None and self._clock() - self._up_since >= self._stable_after:
            self._attempt = 0
        self._up_since = None
        if refused:
            self._attempt = max(self._attempt, SLOW_ATTEMPT)
        delay = backoff_delay(self._attempt, base=self._base, cap=self._cap, rng=self._rng)
        self._attempt += 1
        return delay
