"""Due-time callbacks for contests (question deadlines).

Hand-written rather than APScheduler jobs because conversation scripts advance a
simulated clock and need every timer fired in order at its due time; the state the
timers act on is in the database, so after a restart they are simply re-armed."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import datetime

__all__ = ["Timers"]


class Timers:
    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, str]] = []
        self._live: dict[str, tuple[int, Callable[[datetime], None]]] = {}
        self._seq = itertools.count()

    def schedule(self, key: str, due: datetime, callback: Callable[[datetime], None]) -> None:
        """Arm `callback(due)`; a timer with the same key is replaced."""
        seq = next(self._seq)
        self._live[key] = (seq, callback)
        heapq.heappush(self._heap, (due, seq, key))

    def cancel(self, key: str) -> None:
        self._live.pop(key, None)

    def _drop_stale(self) -> None:
        while self._heap and self._live.get(self._heap[0][2], (None,))[0] != self._heap[0][1]:
            heapq.heappop(self._heap)

    def next_due(self) -> datetime | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def fire_next(self, now: datetime) -> bool:
        """Fire the earliest timer due at or before `now`; False when none is due."""
        self._drop_stale()
        if not self._heap or self._heap[0][0] > now:
            return False
        due, _, key = heapq.heappop(self._heap)
        _, callback = self._live.pop(key)
        callback(due)
        return True

    def clear(self) -> None:
        self._heap.clear()
        self._live.clear()

    def __len__(self) -> int:
        return len(self._live)
