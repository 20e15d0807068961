"""The leader's lease, the fence on its writes and the outbox's claims, on a real PostgreSQL: one process here
plays several instances by holding several leases (the database's clock decides expiry)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from bot.cluster.fence import Fence, Fenced, leader_work
from bot.cluster.leadership import Leadership
from bot.cluster.lease import LEASE_NAME, Lease
from bot.jobs.outbox_worker import OutboxClaims, OutboxWorker
from bot.storage.db import Database
from bot.storage.outbox import Push, claim, enqueue, mark_handed, mark_sent

LEASE = 0.6


def lease(url: str, holder: str) -> Lease:
    return Lease(url, holder=holder, lease_seconds=LEASE, timeout=2.0)


@pytest.fixture
def db(postgres_url: str):
    database = Database(postgres_url)
    database.create_schema()
    yield database
    database.dispose()


def wait_until(ready, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_one_holder_at_a_time_and_the_epoch_grows_at_each_takeover(db, postgres_url):
    a, b = lease(postgres_url, "a"), lease(postgres_url, "b")
    try:
        assert a.take() == 1
        assert b.take() is None  # held
        assert a.renew(1)
        wait_until(lambda: b.take() is not None)  # a stopped renewing: b takes it once the database says it expired
        assert not a.renew(1)  # a's epoch is over
        with db.session() as session:
            holder, epoch = session.execute(text("SELECT holder, epoch FROM leader_lease")).one()
        assert (holder, epoch) == ("b", 2)
        b.release(2)
        assert a.take() == 3  # released: taken at once, no wait for the expiry
    finally:
        a.dispose()
        b.dispose()


def test_a_stale_leaders_write_is_refused_and_rolled_back(db, postgres_url):
    a, b = lease(postgres_url, "a"), lease(postgres_url, "b")
    lost: list[str] = []
    leadership = Leadership(a, lease_seconds=60, renew_seconds=1, on_lead=_nothing, on_step_down=_nothing_said)
    leadership.epoch, leadership._deadline = a.take(), time.monotonic() + 60  # as its lease loop would set them
    leadership.lost = lost.append  # type: ignore[method-assign]
    db.commit_check = Fence(leadership).check
    try:
        with db.session() as session, leader_work():
            session.execute(text("CREATE TABLE IF NOT EXISTS probe (v INTEGER)"))
            session.execute(text("INSERT INTO probe VALUES (1)"))
            session.commit()  # fenced, and the lease holds
        wait_until(lambda: b.take() is not None)
        with db.session() as session, leader_work() as work:
            session.execute(text("INSERT INTO probe VALUES (2)"))
            with pytest.raises(Fenced):
                session.commit()
        assert work.refused and lost
        with db.session() as session:  # not leader work (a standby's write): not fenced
            session.execute(text("INSERT INTO probe VALUES (3)"))
            session.commit()
            assert [v for (v,) in session.execute(text("SELECT v FROM probe ORDER BY v"))] == [1, 3]
    finally:
        a.dispose()
        b.dispose()


def pushes(db: Database, count: int, now: datetime) -> list[int]:
    """`count` study pushes k0, k1 … due `now`, one a group; their outbox ids."""
    with db.session() as session:
        enqueue(session=session, now=now, pushes=[Push(f"k{i}", "study", "wecom", f"g{i}", "", True, "学习", now)
                                                  for i in range(count)])
        session.commit()
        return [i for (i,) in session.execute(text("SELECT id FROM outbox ORDER BY id"))]


def test_outbox_rows_are_claimed_by_the_leader_only_and_a_lapsed_claim_is_taken_again(db, postgres_url):
    a, b = lease(postgres_url, "a"), lease(postgres_url, "b")
    now = datetime(2026, 3, 2, 9, 0)
    try:
        ids = pushes(db, 4, now)
        epoch = a.take()
        assert epoch is not None

        def take(holder: str, held_epoch: int, seconds: float = 60) -> set[int]:
            with db.session() as session:
                got = claim(session=session, ids=ids, holder=holder, epoch=held_epoch, lease=LEASE_NAME,
                            seconds=seconds)
                session.commit()
            return got

        assert take("b", 1) == set()  # not the leader: nothing
        assert take("a", epoch, seconds=1.0) == set(ids)
        assert take("a", epoch) == set()  # held already
        wait_until(lambda: b.take() is not None)
        assert take("a", epoch) == set()  # a stale leader claims nothing
        with db.session() as session:  # a push a sent while its claim held is recorded as sent
            assert mark_sent(session=session, row_id=ids[0], now=now, holder="a")
            session.commit()
        wait_until(lambda: take("b", 2) == set(ids[1:]))  # the rest, once a's claims lapsed
        with db.session() as session:  # a's late record of a row b has taken again is refused
            assert not mark_sent(session=session, row_id=ids[1], now=now, holder="a")
            session.commit()
    finally:
        a.dispose()
        b.dispose()


def test_a_push_the_dead_leader_was_sending_ends_unsure_once_its_claim_lapsed_and_is_not_sent_again(db, postgres_url):
    """The worker's claims are set by joining the cluster, after the worker was made (as join_cluster does): the
    new leader notes what it sends under its own claim, and settles what the dead one had on its way only once
    that one's claim lapsed (a live sender's row is left alone)."""
    a, b = lease(postgres_url, "a"), lease(postgres_url, "b")
    now = datetime(2026, 3, 2, 9, 0)
    sent: list[str] = []

    class Channel:
        name = "wecom"

        async def deliver(self, message) -> None:
            sent.append(message.key)

    try:
        ids = pushes(db, 2, now)
        epoch_a = a.take()
        assert epoch_a is not None
        with db.session() as session:  # a claims both, and was sending k0 when it died
            assert claim(session=session, ids=ids, holder="a", epoch=epoch_a, lease=LEASE_NAME,
                         seconds=1.0) == set(ids)
            assert mark_handed(session=session, row_id=ids[0], now=now, holder="a")
            session.commit()
        moment = [now]
        worker = OutboxWorker(db=db, channels=lambda: {"wecom": Channel()}, now=lambda: moment[0])
        taken: list[int | None] = []
        wait_until(lambda: taken.append(b.take()) or taken[-1] is not None)  # a's lease ran out: b leads
        epoch_b = taken[-1]
        worker.claims = OutboxClaims(holder="b", epoch=lambda: epoch_b, valid=lambda: True, lease=LEASE_NAME,
                                     seconds=1.0)

        def rows() -> dict[str, tuple[str, bool]]:
            with db.session() as session:
                return {key: (status, handed is not None) for key, status, handed in session.execute(
                    text("SELECT key, status, handed_at FROM outbox"))}

        asyncio.run(worker.run_once())  # a's claims still hold: nothing of a's is touched
        assert sent == [] and rows() == {"k0": ("pending", True), "k1": ("pending", False)}
        lapsed = text("SELECT bool_and(lease_until < clock_timestamp()) FROM outbox WHERE claimed_by = 'a'")
        with db.session() as session:  # a's claims lapse, by the database's clock
            wait_until(lambda: session.execute(lapsed).scalar() is True)
        assert b.renew(epoch_b)  # b still leads (its renewing loop is not running here)
        moment[0] += timedelta(seconds=1)  # the leader looks for interrupted rows every half claim
        asyncio.run(worker.run_once())
        assert sent == ["k1"]  # k0 may be in the chat already: not sent again
        assert rows() == {"k0": ("unsure", False), "k1": ("sent", False)}
    finally:
        a.dispose()
        b.dispose()


async def _nothing(epoch: int) -> None:
    return None


async def _nothing_said(reason: str) -> None:
    return None


def test_a_leader_that_cannot_renew_steps_down_before_its_lease_expires(db, postgres_url):
    """The lease loop: it leads, then its database connection is cut: it steps down at once."""
    events: list[str] = []

    async def scenario() -> None:
        stop = asyncio.Event()

        async def led(epoch: int) -> None:
            events.append(f"lead {epoch}")

        async def stepped(reason: str) -> None:
            events.append(f"down: {reason}")
            stop.set()

        leadership = Leadership(Lease(postgres_url, holder="a", lease_seconds=2.0, timeout=1.0,
                                      application_name="studybot:test-a"),
                                lease_seconds=2.0, renew_seconds=0.2, on_lead=led, on_step_down=stepped)
        runner = asyncio.create_task(leadership.run(stop))
        while not leadership.valid():
            await asyncio.sleep(0.02)
        with db.session() as session:
            session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE application_name = 'studybot:test-a'"))
        await asyncio.wait_for(runner, 10)
        assert not leadership.valid()

    asyncio.run(scenario())
    assert events[0] == "lead 1" and events[1].startswith("down: renewing failed")
