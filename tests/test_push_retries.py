"""A push reaches its group once, or at most twice when its request timed out, and the outbox
counts every request the platform saw (issue 11: one push reached a group 15 times while the outbox
recorded one attempt; 183 pushes became 471 requests). The whole road on virtual time
(tests/push_scenarios.py): the outbox worker, WeCom's group webhooks, a slow fake on loopback;
then the outbox's rules alone."""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path

import pytest
from before_alembic import forget_alembic
from helpers import T0
from push_scenarios import Figures, run_pushes
from sqlmodel import select

from bot.channels.base import NotDelivered
from bot.clock import ManualClock
from bot.jobs.outbox_worker import OutboxWorker
from bot.messages import Outgoing
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.outbox import Push, enqueue


def run(tmp_path: Path, kind: str, pushes: int) -> Figures:
    return asyncio.run(asyncio.wait_for(run_pushes(tmp_path, kind, pushes), 120))


def test_a_webhook_that_answers_after_the_timeout_gets_each_push_at_most_twice(tmp_path: Path) -> None:
    figures = run(tmp_path, "late", 3)
    for push in figures.pushes:
        assert push.attempts == push.copies, push  # every request the platform saw, counted
        assert push.copies == 2, push  # the first, and the one retry after a pause
        assert (push.status, push.unconfirmed) == ("unsure", 2), push  # not sent a third time
    assert figures.requests == 6


def test_a_webhook_that_handles_one_request_at_a_time_gets_each_push_once_or_twice(tmp_path: Path) -> None:
    figures = run(tmp_path, "serial", 24)
    for push in figures.pushes:
        assert push.attempts == push.copies, push
        assert push.copies == 1 if push.unconfirmed == 0 else 1 <= push.copies <= 2, push  # extra: after a timeout
    answered_in_time = figures.count(status="sent", attempts=1)
    assert answered_in_time == 6  # 10 s / 1.5 s each: the rest waited past the client's timeout
    assert figures.requests == sum(p.copies for p in figures.pushes) <= 2 * 24 - answered_in_time


# ----- the outbox's rules, with a channel that answers from a script -----

MAYBE = NotDelivered("no answer within 10 s", maybe_received=True)
NOT = NotDelivered("errcode 45009 (rate limit)")
REFUSED = NotDelivered("errcode 93000 (invalid webhook key)", refused=True)


class Scripted:
    """A channel whose `deliver` answers from a script (None: taken), noting when it was called."""
    name = "wecom"

    def __init__(self, clock: ManualClock, outcomes: list[Exception | None]) -> None:
        self.clock, self.outcomes, self.calls = clock, deque(outcomes), []

    async def deliver(self, message: Outgoing) -> None:
        self.calls.append(self.clock.now())
        outcome = self.outcomes.popleft() if self.outcomes else None
        if outcome is not None:
            raise outcome

    def send(self, message: Outgoing) -> None:
        raise AssertionError("the service's worker awaits deliver()")


def settle(db: Database, channel: Scripted) -> OutboxRow:
    """One push through the worker, each retry when it comes due, until the row is settled."""
    clock = channel.clock
    with db.session() as session:
        enqueue(session=session, now=clock.now(), pushes=[Push(
            key="study:1", kind="study", channel="wecom", chat_id="wr1", chat_name="学习群", is_group=True,
            text="📖 学习推送", due_at=clock.now())])
        session.commit()
    worker = OutboxWorker(db=db, channels=lambda: {"wecom": channel}, now=clock.now, sleep=clock.sleep)

    async def main() -> None:
        while (due := worker.next_due()) is not None:
            clock.set(max(due, clock.now()))
            await worker.run_once()

    asyncio.run(main())
    with db.session() as session:
        return session.exec(select(OutboxRow)).one()


@pytest.mark.parametrize("outcomes, status, attempts, unconfirmed", [
    ([MAYBE, None], "sent", 2, 1),
    ([MAYBE, MAYBE], "unsure", 2, 2),  # not a third time
    ([MAYBE, NOT, REFUSED, MAYBE], "unsure", 4, 2),  # what certainly did not arrive is retried in between
    ([RuntimeError("a bug in the channel"), None], "sent", 2, 1),  # before or after its request? maybe
    ([NOT] * 8, "failed", 8, 0),
    ([MAYBE] + [NOT] * 7, "unsure", 8, 1),  # given up, but it may well be in the chat
    ([REFUSED, REFUSED, None], "sent", 3, 0),
])
def test_the_outbox_alone_retries_and_counts_every_attempt(tmp_path: Path, outcomes: list[Exception | None],
                                                           status: str, attempts: int, unconfirmed: int) -> None:
    db = Database(f"sqlite:///{tmp_path}/t.db")
    db.create_schema()
    channel = Scripted(ManualClock(T0), list(outcomes))
    row = settle(db, channel)
    assert (row.status, row.attempts, row.unconfirmed) == (status, attempts, unconfirmed)
    assert len(channel.calls) == attempts  # each call is one request: what the platform may have seen
    waits = [(b - a).total_seconds() for a, b in zip(channel.calls, channel.calls[1:])]
    for outcome, wait in zip(outcomes, waits):  # a pause after a maybe; backoff from 30 s otherwise
        assert wait >= (60 if outcome is MAYBE or isinstance(outcome, RuntimeError) else 30)


def test_a_database_from_before_the_upgrade_counts_unconfirmed_attempts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    old = Database(url)
    old.create_schema()
    with old.engine.begin() as conn:  # as version 1 left it
        conn.exec_driver_sql("ALTER TABLE outbox DROP COLUMN unconfirmed")
        conn.exec_driver_sql("UPDATE schema_version SET version = 1")
        forget_alembic(conn)  # made before Alembic
    old.engine.dispose()
    db = Database(url)
    db.create_schema()
    row = settle(db, Scripted(ManualClock(T0), [MAYBE, None]))
    assert (row.status, row.attempts, row.unconfirmed) == ("sent", 2, 1)
