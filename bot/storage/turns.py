"""Long work on the database in short transactions that let other writers in between: an import of
100,000 rows beside the running bot, whose members' answers must not wait behind it.

SQLite gives a waiting writer no turn of its own: its default busy handler sleeps and looks again (1, 2, 5,
10, 15, 20, 25, 25, 25, 50, 50 ms, then 100 ms each time; sqliteDefaultBusyCallback). A lock taken again the
moment it was let go would keep a waiting answer out for as long as the import runs, so after each
transaction the work stays away for as long as such a waiter may be asleep: a writer that began waiting when
the transaction began then finds the lock free when it next looks. PostgreSQL's row locks need no pause, but
the pause is short enough not to matter there."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from sqlmodel import Session

from bot.storage.db import Database

__all__ = ["TakingTurns", "pause_after"]

_BUSY_SLEEPS = (0.001, 0.002, 0.005, 0.010, 0.015, 0.020, 0.025, 0.025, 0.025, 0.050, 0.050)
_LONGEST_SLEEP = 0.100
_MARGIN = 0.002  # the waiter's own wake-up and query take a moment too


def pause_after(held: float) -> float:
    """How long to stay away after holding the write lock for `held` seconds."""
    asleep = 0.0
    for step in _BUSY_SLEEPS:
        asleep += step
        if asleep > held:
            return step + _MARGIN
    return _LONGEST_SLEEP + _MARGIN


class TakingTurns:
    """`transaction()` after `transaction()`: each commits on leaving, and the next waits `pause_after` the
    last one's length first. `sleep` and `clock` are for tests."""

    def __init__(self, db: Database, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._db, self._sleep, self._clock = db, sleep, clock
        self._last: float | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        if self._last is not None:
            self._sleep(pause_after(self._last))
        began = self._clock()
        try:
            with self._db.session() as session:
                yield session
                session.commit()
        finally:
            self._last = self._clock() - began
