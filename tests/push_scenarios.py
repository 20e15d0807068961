"""Pushes through the outbox to slow group webhooks, on virtual time: the scenario behind
tests/test_push_retries.py and bench/push_retries.py.

The outbox worker (as under `studybot run`) sends `pushes` rows, one per group, through WeCom's
group webhooks (the real client, its lanes and rate windows) to a fake on loopback that is slow in
one of two ways (tests/fakes/paced_webhook.py): `late` answers every request after the client's
timeout; `serial` handles one request at a time. What is measured, per push: the copies that
reached the group, the requests the platform saw, and what the outbox recorded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fakes.paced_webhook import LateWebhook, SerialWebhook, Wire
from fakes.virtual_time import VirtualTime
from pydantic import SecretStr
from sqlmodel import select

from bot.channels.common.aio import cancel
from bot.channels.wecom.webhook import GroupWebhooks, WeComWebhook
from bot.jobs.outbox_worker import OutboxWorker
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.outbox import Push, enqueue

__all__ = ["Pushed", "Figures", "run_pushes", "TIMEOUT", "SERVICE"]

START = datetime(2026, 11, 23, 8, 0)
TIMEOUT = 10.0  # the webhook client's timeout, seconds
SERVICE = 1.5  # the serial webhook's time per request: 6 answered within one timeout, no ties with it


@dataclass(frozen=True)
class Pushed:
    text: str
    copies: int  # requests the platform saw with this push (each one reached the group)
    attempts: int  # what the outbox recorded
    unconfirmed: int  # attempts the outbox recorded as "may have been received"
    status: str


@dataclass(frozen=True)
class Figures:
    pushes: list[Pushed]
    requests: int  # every request the client made
    took: float  # virtual seconds until no push was pending

    def count(self, **wanted: object) -> int:
        return sum(all(getattr(p, k) == v for k, v in wanted.items()) for p in self.pushes)


async def run_pushes(workdir: Path, kind: str, pushes: int, *, limit: float = 6 * 3600) -> Figures:
    """`pushes` pushes, one to each of as many groups, to a `kind` ("late" or "serial") webhook."""
    time = VirtualTime(START)
    wire = Wire(time.touch)
    fake = LateWebhook(time.touch) if kind == "late" else SerialWebhook(time, SERVICE)
    time.settled = lambda: wire.open <= fake.holding()
    db = Database(f"sqlite:///{workdir}/{kind}-{pushes}.db")
    db.create_schema()
    texts = [f"📖 第 {i} 条学习推送" for i in range(pushes)]
    with db.session() as session:
        enqueue(session=session, now=time.now(), pushes=[
            Push(key=f"push:{i}", kind="study", channel="wecom", chat_id=f"wr{i}", chat_name=f"群{i}", is_group=True,
                 text=text, due_at=time.now()) for i, text in enumerate(texts)])
        session.commit()
    with fake:
        webhook = WeComWebhook(api_base_url=fake.url, timeout=TIMEOUT, clock=time.monotonic, sleep=time.sleep,
                               timer=time.sleep, transport=wire)
        channel = GroupWebhooks(webhook=webhook, keys={f"群{i}": SecretStr(f"key-{i}") for i in range(pushes)})
        worker = OutboxWorker(db=db, channels=lambda: {"wecom": channel}, now=time.now, sleep=time.sleep, poll=60)
        await channel.start()
        running = asyncio.create_task(worker.run(asyncio.Event()))
        try:
            await time.run(lambda: _settled(db), limit=limit)
        finally:
            await cancel(running)
            await channel.stop()
        took = time.elapsed
        copies = fake.copies()
    with db.session() as session:
        rows = {row.text: row for row in session.exec(select(OutboxRow))}
    db.engine.dispose()
    return Figures([Pushed(text, copies[text], rows[text].attempts, getattr(rows[text], "unconfirmed", 0),
                           rows[text].status) for text in texts], wire.count, took)


def _settled(db: Database) -> bool:
    with db.session() as session:
        return session.exec(select(OutboxRow).where(OutboxRow.status == "pending")).first() is None
