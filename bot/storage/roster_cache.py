"""Something read from the member table, remembered until that table changes.

Grouping 100,000 members for the 三会一课 requirements takes ~20 ms on SQLite, and 总览, 三会一课 and its quarter
view need it on every request (bench/dashboard.py), while a roster changes a few times a month. The database counts
every change to the member table (triggers of revision 0002, so a write from any process or code
path counts: a roster import, a role set in chat, a member made on their first message, an operator's SQL); one
primary-key read tells whether what is remembered is still true."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["RosterCache", "member_changes"]

T = TypeVar("T")


def member_changes(session: Session) -> int:
    """The member table's change count (bot/storage/models.ChangeCount)."""
    return int(session.execute(text("SELECT n FROM change_count WHERE name = 'member'")).scalar_one())


class RosterCache(Generic[T]):
    """read(session), remembered with the change count read before it, in the same transaction. On SQLite both
    come from one snapshot. On PostgreSQL (read committed) a commit between the two reads may show in what was read
    but not in the count, which only makes the next request read again: what is remembered is never older than
    its count. What is remembered is handed to every caller: it must not be changed."""

    def __init__(self, read: Callable[[Session], T]) -> None:
        self._read = read
        self._last: tuple[int, T] | None = None
        self._lock = threading.Lock()

    def __call__(self, session: Session) -> T:
        mark = member_changes(session)
        with self._lock:
            if self._last is not None and self._last[0] == mark:
                return self._last[1]
        found = self._read(session)
        with self._lock:
            self._last = (mark, found)
        return found
