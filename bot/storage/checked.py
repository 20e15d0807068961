"""A session that runs a check inside its transaction just before it commits: how several instances fence a stale
leader's writes (bot/cluster/fence.py). SQLite (one process) uses plain sessions."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

__all__ = ["CheckedSession", "CommitCheck"]

CommitCheck = Callable[[Session], None]


class CheckedSession(Session):
    check: CommitCheck | None = None

    def commit(self) -> None:
        if self.check is not None and self.in_transaction():
            self.check(self)  # raises to refuse: the caller's transaction is rolled back
        super().commit()
