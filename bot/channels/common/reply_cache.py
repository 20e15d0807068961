"""Values kept by key for a while, above all the reply given to each platform message id.

WeCom and WeChat retry a callback they got no answer to, with the same message id, and the
dispatcher ignores a repeated id: the adapter keeps the reply it gave the first time and gives
it again, since the first one may be the one that was lost. Also what a robot keeps a while
for later callbacks (the stream content a refresh asks for, the cards it sent)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["TTLCache", "MAX_ENTRIES"]

MAX_ENTRIES = 50_000  # what a cache keeps unless told otherwise: a flood of callbacks must not grow memory

V = TypeVar("V")
D = TypeVar("D")


class TTLCache(Generic[V]):
    """Each value kept `ttl` seconds of `clock` after it was put, and at most `max_entries`
    values, the oldest dropped first (there is no cache without a limit). Insertion-ordered, so
    the oldest entries are at the front: expiry pops from there."""

    def __init__(self, ttl: float, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._clock = ttl, clock
        self._max = max_entries
        self._data: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable, default: D = None) -> V | D:  # type: ignore[assignment]
        """The value kept for `key`, or `default` when there is none (a value may itself be None)."""
        self._expire()
        entry = self._data.get(key)
        return entry[1] if entry else default

    def pop(self, key: Hashable, default: D = None) -> V | D:  # type: ignore[assignment]
        """The value kept for `key`, no longer kept, or `default` when there is none."""
        self._expire()
        entry = self._data.pop(key, None)
        return entry[1] if entry else default

    def __len__(self) -> int:
        self._expire()
        return len(self._data)

    def put(self, key: Hashable, value: V) -> None:
        self._data.pop(key, None)
        self._data[key] = (self._clock() + self._ttl, value)
        self._expire()

    def _expire(self) -> None:
        now = self._clock()
        while self._data:
            key, (expires, _) = next(iter(self._data.items()))
            if expires > now and len(self._data) <= self._max:
                break
            del self._data[key]
