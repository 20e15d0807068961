"""The fence on a leader's writes: inside the transaction, just before it commits, the lease row must still name
this process and its epoch, unexpired by the database's clock (`FOR SHARE`: a takeover waits for the commit).
A stale leader's late write fails there and is rolled back; the leader then steps down.

Only the leader's own work is fenced (contest steps on timers, scheduled jobs, messages it handles): it runs
inside `leader_work()`. A standby's writes (the inbox, the dashboard) are not the leader's and are not checked,
and neither is the outbox, whose rows are guarded by their claims (bot/storage/outbox.py)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlmodel import Session

from bot.cluster.leadership import Leadership
from bot.cluster.lease import FENCE_SQL

__all__ = ["Fence", "Fenced", "Work", "leader_work"]

class Fenced(Exception):
    """A write of a process that no longer leads; refused."""


@dataclass
class Work:
    refused: bool = False  # a commit inside it was fenced (and rolled back)


_LEADER_WORK: contextvars.ContextVar[Work | None] = contextvars.ContextVar("studybot_leader_work", default=None)


@contextmanager
def leader_work() -> Iterator[Work]:
    """The leader's own work from here (tasks created inside inherit it): its commits are fenced."""
    work = Work()
    token = _LEADER_WORK.set(work)
    try:
        yield work
    finally:
        _LEADER_WORK.reset(token)


class Fence:
    def __init__(self, leadership: Leadership) -> None:
        self._leadership = leadership

    def check(self, session: Session) -> None:
        """Called by the session before it commits (Database.commit_check)."""
        work = _LEADER_WORK.get()
        if work is None:
            return
        leadership = self._leadership
        epoch = leadership.epoch
        if epoch is None or not leadership.valid():
            work.refused = True
            raise Fenced(f"{leadership.holder} no longer leads")
        row = session.connection().exec_driver_sql(
            FENCE_SQL, {"name": leadership.lease.name, "holder": leadership.holder, "epoch": epoch}).first()
        if row is None:
            work.refused = True
            leadership.lost("a write was fenced: the lease is no longer ours")
            raise Fenced(f"{leadership.holder}'s lease (epoch {epoch}) no longer holds")
