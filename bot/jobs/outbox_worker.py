"""Sends the outbox: pending pushes whose time has come, at most `per_minute` a minute to any one
chat (a WeCom or DingTalk group robot takes 20), oldest first, retried with backoff, marked sent.

Two ways to run, one rule set:
- `drain()` sends what is due now, synchronously: the local chat and `.chat` scripts call it as their
  simulated clock moves, so pushes appear in the transcript at their simulated time;
- `run(stop)` is the service's task: a channel that can confirm a send (`async deliver(message)`)
  is awaited, with quick retries (tenacity); one that only queues (`send`) is handed the message.
A row is marked sent in its own transaction right after the platform took it: a crash before that
sends it again after the restart (the only window for a duplicate is the moment between the
platform's answer and our commit); once marked, it is never sent again. Failures are retried
later (the new due time is stored, so it survives a restart) and given up after `max_attempts`."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.messages import Chat, Outgoing
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.outbox import mark_attempt, mark_sent, next_pending, pending_due, recent_sends

__all__ = ["OutboxWorker", "PER_MINUTE"]

log = logging.getLogger(__name__)

PER_MINUTE = 20
WINDOW = timedelta(minutes=1)
QUICK_ATTEMPTS = 3
PAGE = 5000  # in-process retries of one send, a second or two apart


class OutboxWorker:
    def __init__(self, *, db: Database, channels: Callable[[], dict], now: Callable[[], datetime],
                 per_minute: int = PER_MINUTE, max_attempts: int = 8,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, poll: float = 1.0,
                 concurrency: int = 64) -> None:
        self._db, self._channels, self._now = db, channels, now
        self._per_minute, self._max_attempts = per_minute, max_attempts
        self._sleep, self._poll, self._concurrency = sleep, poll, concurrency
        self._sent: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)
        self._blocked_until: datetime | None = None  # the earliest moment a full window frees
        self._seeded = False
        self.sent = 0
        self.failed = 0

    # ----- the rate window -----

    def _seed(self) -> None:
        """After a restart, the sends of the last minute still count against their windows."""
        if self._seeded:
            return
        self._seeded = True
        with self._db.session() as session:
            for channel, chat_id, at in sorted(recent_sends(session=session, since=self._now() - WINDOW),
                                              key=lambda r: r[2]):
                self._sent[(channel, chat_id)].append(at)

    def _window(self, target: tuple[str, str], now: datetime) -> deque[datetime]:
        window = self._sent[target]
        while window and window[0] <= now - WINDOW:
            window.popleft()
        return window

    def next_due(self) -> datetime | None:
        """When there may next be something to send: a row coming due, or a full window freeing."""
        now = self._now()
        running = list(self._channels())
        with self._db.session() as session:
            later = next_pending(session=session, after=now, channels=running)
            waiting = next_pending(session=session, before=now, channels=running)
        candidates = [t for t in (later, self._blocked_until if waiting is not None else None) if t is not None]
        if waiting is not None and self._blocked_until is None:
            candidates.append(now)
        return min(candidates) if candidates else None

    def _pick(self, now: datetime) -> list[OutboxRow]:
        """The due rows that their targets' windows let through now, oldest first. Pages through
        every due row, so a chat whose window is full never holds up the others behind it."""
        self._seed()
        picked: list[OutboxRow] = []
        taken: dict[tuple[str, str], int] = defaultdict(int)
        self._blocked_until = None
        after = None
        # rows for a channel this process does not run (a `studybot chat` on the service's database)
        # stay pending for the process that does: they are neither sent nor counted as failures here
        running = list(self._channels())
        while True:
            with self._db.session() as session:
                rows = pending_due(session=session, now=now, limit=PAGE, after=after, channels=running)
            for row in rows:
                target = (row.channel, row.chat_id)
                window = self._window(target, now)
                used = len(window) + taken[target]
                if used < self._per_minute:
                    taken[target] += 1
                    picked.append(row)
                    continue
                times = [*window, *([now] * taken[target])]
                free = times[used - self._per_minute] + WINDOW
                self._blocked_until = free if self._blocked_until is None else min(self._blocked_until, free)
            if len(rows) < PAGE:
                return picked
            after = (rows[-1].due_at, rows[-1].id)

    # ----- sending -----

    @staticmethod
    def _message(row: OutboxRow) -> Outgoing:
        return Outgoing(Chat(row.channel, row.chat_id, row.is_group, row.chat_name), row.text,
                        markdown=row.markdown, key=row.key)

    def _record(self, row: OutboxRow, error: str | None) -> None:
        now = self._now()
        with self._db.session() as session:
            if error is None:
                mark_sent(session=session, row_id=row.id, now=now)
                self._sent[(row.channel, row.chat_id)].append(now)
                self.sent += 1
            else:
                attempts = row.attempts + 1
                give_up = attempts >= self._max_attempts
                retry_at = None if give_up else now + timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))
                mark_attempt(session=session, row_id=row.id, error=error, retry_at=retry_at)
                if give_up:
                    self.failed += 1
                    log.error("outbox: push %s to %s/%s given up after %d attempts: %s", row.key, row.channel,
                              row.chat_id, attempts, error)
                else:
                    log.warning("outbox: push %s to %s/%s failed (%s); retry at %s", row.key, row.channel,
                                row.chat_id, error, retry_at)
            session.commit()

    def drain(self) -> int:
        """Send, synchronously, every due row the rate windows allow now; how many were sent."""
        sent = 0
        for row in self._pick(self._now()):
            channel = self._channels().get(row.channel)
            if channel is None:
                self._record(row, f"no channel {row.channel!r} running")
                continue
            try:
                channel.send(self._message(row))
            except Exception as exc:  # the row stays and is retried; the others go on
                self._record(row, f"{type(exc).__name__}: {exc}")
                continue
            self._record(row, None)
            sent += 1
        return sent

    async def _deliver(self, row: OutboxRow, gate: asyncio.Semaphore) -> None:
        async with gate:
            channel = self._channels().get(row.channel)
            if channel is None:
                self._record(row, f"no channel {row.channel!r} running")
                return
            message = self._message(row)
            try:
                # a channel that can confirm returns once the platform took it; one that cannot hands
                # the message to its own queue and returns at once
                async for attempt in AsyncRetrying(stop=stop_after_attempt(QUICK_ATTEMPTS), reraise=True,
                                                   wait=wait_exponential(multiplier=0.5, max=4),
                                                   retry=retry_if_exception_type(Exception), sleep=self._sleep):
                    with attempt:
                        await channel.deliver(message)
            except Exception as exc:
                self._record(row, f"{type(exc).__name__}: {exc}"[:300])
                return
            self._record(row, None)

    async def run_once(self) -> int:
        rows = self._pick(self._now())
        if rows:
            gate = asyncio.Semaphore(self._concurrency)
            await asyncio.gather(*(self._deliver(row, gate) for row in rows))
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: send what is due, then wait for the next due time (at most `poll`)."""
        while not stop.is_set():
            try:
                await self.run_once()
                due = self.next_due()
            except Exception:
                log.exception("outbox: round failed")
                due = None
            wait = self._poll
            if due is not None:
                wait = max(0.0, min(wait, (due - self._now()).total_seconds()))
            if wait > 0:
                await self._sleep(wait)
            else:
                await asyncio.sleep(0)
