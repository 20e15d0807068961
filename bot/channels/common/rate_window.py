"""The sliding window every platform's send limit is kept with: a burst waits, it is never dropped.

One window per key (a conversation, a webhook), under one or more limits at once: WeCom's long
connection allows 30 a minute and 1,000 an hour per conversation, a group webhook 20 a minute.
Every message counts, retries and replies sent outside the queue too (`record`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

__all__ = ["RateWindow"]


class RateWindow:
    """`limits`: (messages, seconds) pairs. `wait(key, now)` is how long until one more message
    may go to `key`; `record(key, now)` counts one that went."""

    def __init__(self, limits: tuple[tuple[int, float], ...]) -> None:
        self._limits = limits
        self._sent: dict[Hashable, deque[float]] = {}
        self._horizon = max((seconds for _, seconds in limits), default=0.0)

    def wait(self, key: Hashable, now: float, reserve: int = 0) -> float:
        """`reserve`: leave that many of each limit's messages (at most all but one) to others: how
        long until one more may go while keeping them."""
        sent = self._sent.get(key)
        if not sent:
            return 0.0
        while sent and now - sent[0] >= self._horizon:
            sent.popleft()
        longest = 0.0
        for limit, seconds in self._limits:
            count = limit - min(reserve, limit - 1)
            if len(sent) < count:
                continue
            recent = [t for t in sent if now - t < seconds]
            if len(recent) >= count:
                longest = max(longest, recent[-count] + seconds - now)
        return longest

    def record(self, key: Hashable, now: float) -> None:
        self._sent.setdefault(key, deque()).append(now)

    def forget(self, key: Hashable, at: float) -> None:
        """Take back one message counted at `at` that did not leave after all."""
        sent = self._sent.get(key)
        if sent and at in sent:
            sent.remove(at)

    def forget_idle(self, now: float) -> None:
        """Drop the keys with nothing sent within the longest window (memory, not behaviour)."""
        for key in [k for k, sent in self._sent.items() if not sent or now - sent[-1] >= self._horizon]:
            del self._sent[key]
