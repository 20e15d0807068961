"""A push is never sent twice because its sender died mid-send (issue 19): the row notes that it is being handed to
its channel before it is; a row left so by a killed process may be in the chat already (the platforms take no
idempotency key), so the next sender marks it unsure with the reason and does not send it again, while the pushes
never handed over go out as usual. On SQLite here; tests/test_cluster_failover.py kills a leader mid fan-out."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import httpx
import pytest
from fakes.wecom_api import WEBHOOK, FakeWeComAPI
from helpers import T0
from pydantic import SecretStr
from sqlmodel import select
from test_push_retries import NOT, Scripted

from bot.channels.wecom.webhook import GroupWebhooks, WeComWebhook
from bot.clock import ManualClock
from bot.jobs.outbox_worker import OutboxWorker
from bot.messages import Outgoing
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.outbox import INTERRUPTED, Push, enqueue, mark_handed


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path}/t.db")
    database.create_schema()
    with database.session() as session:
        enqueue(session=session, now=T0, pushes=[
            Push(f"study:{n}", "study", channel, f"wr{n}", f"学习群{n}", True, f"📖 学习推送 {n}", T0)
            for n, channel in enumerate(("wecom", "wecom", "local"))])
        session.commit()
    return database


def rows(db: Database) -> dict[str, OutboxRow]:
    with db.session() as session:
        return {row.key: row for row in session.exec(select(OutboxRow))}


def killed_mid_send(db: Database, key: str) -> None:
    """What a process killed between handing a push to its channel and recording the platform's answer leaves."""
    with db.session() as session:
        row_id = session.exec(select(OutboxRow.id).where(OutboxRow.key == key)).one()
        assert mark_handed(session=session, row_id=row_id, now=T0)
        session.commit()


class Watching(Scripted):
    """Scripted, also noting what the database said of the row at the moment the channel got it."""

    def __init__(self, clock: ManualClock, db: Database, outcomes: list[Exception | None]) -> None:
        super().__init__(clock, outcomes)
        self.db, self.texts, self.handed = db, [], []

    async def deliver(self, message: Outgoing) -> None:
        self.texts.append(message.text)
        self.handed.append(rows(self.db)[message.key].handed_at)
        await super().deliver(message)


def restart(db: Database, channel: Watching, channels: tuple[str, ...] = ("wecom",)) -> OutboxWorker:
    """A new worker (the process started again) running `channels`, one round at T0."""
    worker = OutboxWorker(db=db, channels=lambda: {name: channel for name in channels}, now=channel.clock.now,
                          sleep=channel.clock.sleep)
    asyncio.run(worker.run_once())
    return worker


def test_a_push_handed_over_by_a_killed_process_ends_unsure_and_is_not_sent_again(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    killed_mid_send(db, "study:0")
    channel = Watching(ManualClock(T0), db, [])
    with caplog.at_level(logging.ERROR):
        worker = restart(db, channel)
    assert channel.texts == ["📖 学习推送 1"]  # the one never handed over goes out; the other not a second time
    after = rows(db)
    assert (after["study:0"].status, after["study:0"].last_error, after["study:0"].handed_at) == (
        "unsure", INTERRUPTED, None)
    assert (after["study:0"].attempts, after["study:0"].unconfirmed) == (1, 1)  # the platform may have seen it
    assert after["study:1"].status == "sent" and worker.failed == 1
    assert "push study:0 was handed to its channel when its sender stopped" in caplog.text
    asyncio.run(worker.run_once())  # and it stays so
    assert channel.texts == ["📖 学习推送 1"]


def test_the_note_is_stored_before_the_channel_gets_the_push_and_cleared_once_recorded(db: Database) -> None:
    channel = Watching(ManualClock(T0), db, [None, NOT])
    restart(db, channel)
    assert channel.handed == [T0, T0]  # committed before each push was handed over
    after = rows(db)
    assert after["study:0"].status == "sent" and after["study:0"].handed_at is None
    # a push the platform certainly did not take is retried later, not taken for an interrupted one
    assert (after["study:1"].status, after["study:1"].handed_at, after["study:1"].attempts) == ("pending", None, 1)
    channel.clock.set(after["study:1"].due_at)
    asyncio.run(OutboxWorker(db=db, channels=lambda: {"wecom": channel}, now=channel.clock.now,
                             sleep=channel.clock.sleep).run_once())
    assert channel.texts == ["📖 学习推送 0", "📖 学习推送 1", "📖 学习推送 1"]
    assert rows(db)["study:1"].status == "sent"


def test_a_process_beside_the_service_leaves_the_services_sends_alone(db: Database) -> None:
    """`studybot chat --database` beside `studybot run` sends only the local chat's pushes: a WeCom push the
    service is handing over at that moment is not its to settle."""
    killed_mid_send(db, "study:0")
    channel = Watching(ManualClock(T0), db, [])
    restart(db, channel, channels=("local",))
    after = rows(db)
    assert (after["study:0"].status, after["study:0"].handed_at) == ("pending", T0)
    assert after["study:2"].status == "sent" and channel.texts == ["📖 学习推送 2"]


class Noting(httpx.AsyncBaseTransport):
    """The real transport, noting each push's handed_at in the database when its request is handed to the
    transport (before a connection is taken) and once it was answered (before the worker records it)."""

    def __init__(self, db: Database) -> None:
        self.inner, self.db, self.seen = httpx.AsyncHTTPTransport(), db, {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        text = json.loads(request.content)["markdown"]["content"]
        before = self.handed(text)
        response = await self.inner.handle_async_request(request)
        self.seen[text] = (before, self.handed(text))
        return response

    def handed(self, text: str) -> object:
        return next(r.handed_at for r in rows(self.db).values() if r.text == text)


def test_a_push_waiting_in_its_webhooks_lane_is_not_handed_over_until_its_request_leaves(tmp_path: Path) -> None:
    """The webhook takes one message a minute: the second push waits in its lane. A kill then must not leave it
    unsure: it has not left, so the row does not say handed until its request goes."""
    db = Database(f"sqlite:///{tmp_path}/t.db")
    db.create_schema()
    clock = ManualClock(T0)
    with db.session() as session:
        enqueue(session=session, now=T0, pushes=[Push(f"study:{n}", "study", "wecom", "wr1", "学习群", True,
                                                      f"📖 学习推送 {n}", T0) for n in range(2)])
        session.commit()
    moment, waiting, release = [0.0], asyncio.Event(), asyncio.Event()

    async def window_sleep(seconds: float) -> None:  # the lane waiting for its window to move on
        waiting.set()
        await release.wait()
        moment[0] += seconds

    async def main(api: FakeWeComAPI) -> None:
        noting = Noting(db)
        webhook = WeComWebhook(api_base_url=api.url, per_minute=1, window=60, clock=lambda: moment[0],
                               sleep=window_sleep, transport=noting)
        channel = GroupWebhooks(webhook=webhook, keys={"学习群": SecretStr("K1")})
        await channel.start()
        worker = OutboxWorker(db=db, channels=lambda: {"wecom": channel}, now=clock.now)
        sending = asyncio.create_task(worker.run_once())
        await asyncio.wait_for(waiting.wait(), 30)
        before = rows(db)
        assert before["study:0"].status == "sent" and before["study:0"].handed_at is None
        assert (before["study:1"].status, before["study:1"].handed_at) == ("pending", None)  # in its lane
        release.set()
        await asyncio.wait_for(sending, 30)
        await channel.stop()
        # noted on the connection, right before each request's first byte
        assert noting.seen == {"📖 学习推送 0": (None, T0), "📖 学习推送 1": (None, T0)}

    with FakeWeComAPI() as api:
        asyncio.run(main(api))
        assert [r.content for r in api.received(WEBHOOK)] == ["📖 学习推送 0", "📖 学习推送 1"]
    after = rows(db)
    assert {r.status for r in after.values()} == {"sent"} and {r.handed_at for r in after.values()} == {None}
