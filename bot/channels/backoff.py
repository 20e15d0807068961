"""Reconnect delays shared by the long-lived connections (WeCom robot, DingTalk Stream)."""

from __future__ import annotations

import random

__all__ = ["backoff_delay"]


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before reconnect attempt `attempt` (0, 1, 2…): base doubling up to cap, with
    "equal jitter" (between half and all of it) so many bots never reconnect in step."""
    ceiling = min(cap, base * 2 ** min(attempt, 30))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)
