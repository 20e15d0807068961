"""Sends the outbox: pending pushes whose time has come, handed at most `per_minute` a minute to any
one chat (a WeCom or DingTalk group robot takes 20), oldest first, retried with backoff, marked sent.

Two ways to run, one rule set:
- `drain()` sends what is due now, synchronously: the local chat and `.chat` scripts call it as their
  simulated clock moves, so pushes appear in the transcript at their simulated time;
- `run(stop)` is the service's task: a channel that can confirm a send (`async deliver(message)`)
  is awaited; one that only queues (`send`) is handed the message.
Before a row is handed to its channel, the row notes it (`handed_at`, committed); it is marked sent in
its own transaction right after the platform took it. A process killed in between leaves a row that
may be in the chat already, and the platforms take no idempotency key: the next sender (this process
restarted, or a cluster's new leader once the dead one's claim lapsed) marks it `unsure` with the
reason and does not send it again. A push is so never sent twice by a crash; the price is one that
was handed over but had not left yet when the process died (a few milliseconds' window), which ends
unsure too, in the log and in the row, rather than sent.

This worker is the one layer that retries a push: `deliver` makes one request per piece and says
what became of it (`NotDelivered`), and each call is one attempt, stored, so `attempts` is what
the platform may have seen. A push the platform certainly did not take is tried again later (the
new due time is stored, so it survives a restart), up to `max_attempts`. One that may have reached
it (no answer after the request was sent) is tried once more, after a pause, and never after a
second such attempt: the platforms do not dedupe, so a slow one shows a push at most twice. That
row ends `unsure` rather than `failed`: it has most likely been seen.

The platform's limit is kept by the channel: every push goes out as `Priority.PUSH` and waits in its
destination's lane (common/send_lanes.py) behind contest steps, replies and progress lines, and the
lane's window counts all of them. The worker still hands a chat at most `per_minute` rows a minute
(default `GROUP_PER_MINUTE`, the same number the group webhooks' lanes keep): it is how rows wait in
the database, not in memory (10,000 due rows are not 10,000 awaited calls), and how the last minute's
sends still count after a restart (the lanes start empty; DingTalk throttles a robot for 10 minutes
after its 21st message). It decides when a row is handed over, never the order on the wire nor a
send the lane would not make; channels without a lane of their own (the local chat, scripts, the
WeCom app, the Official Account) get the platform-group limit from it alone."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.channels.base import NotDelivered
from bot.channels.common.send_lanes import GROUP_PER_MINUTE
from bot.channels.common.wire import ON_WIRE, WireNote, notes_wire
from bot.jobs.outbox_claims import Handover, OutboxClaims
from bot.messages import Chat, Outgoing, Priority
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.outbox import claim, mark_attempt, mark_sent, next_pending, pending_due, postpone, recent_sends

__all__ = ["OutboxWorker", "OutboxClaims", "PER_MINUTE"]

log = logging.getLogger(__name__)

PER_MINUTE = GROUP_PER_MINUTE
WINDOW = timedelta(minutes=1)
PAGE = 5000
CLAIM_BATCH = 200  # rows one round of a cluster's leader claims
# before the one more try of a push that may have been received: a slow platform catches up (its
# backlog of requests drains) rather than meeting the same push again while still busy
UNSURE_PAUSE = timedelta(minutes=1)
# a push the platform holds back until someone acts (NotDelivered.held: a quota, a permission; the channel
# has told the admins) stays pending and is looked at again this much later, its attempts not counted
HELD_PAUSE = timedelta(minutes=10)


class OutboxWorker:
    def __init__(self, *, db: Database, channels: Callable[[], dict], now: Callable[[], datetime],
                 per_minute: int = PER_MINUTE, max_attempts: int = 8,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, poll: float = 1.0,
                 concurrency: int = 64, claims: OutboxClaims | None = None) -> None:
        self._db, self._channels, self._now = db, channels, now
        self.claims = claims
        self._per_minute, self._max_attempts = per_minute, max_attempts
        self._sleep, self._poll, self._concurrency = sleep, poll, concurrency
        self._sent: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)
        self._blocked_until: datetime | None = None  # the earliest moment a full window frees
        self._seeded = False
        self._handover = Handover(db=db, channels=channels, claims=lambda: self.claims)
        self.sent = 0
        self.failed = 0  # given up: failed or unsure

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
        self.failed += self._handover.settle(now)
        picked: list[OutboxRow] = []
        taken: dict[tuple[str, str], int] = defaultdict(int)
        self._blocked_until = None
        after = None
        # rows for a channel this process does not run (a `studybot chat` on the service's database)
        # stay pending for the process that does: they are neither sent nor counted as failures here
        running = list(self._channels())
        # a cluster's leader sends a claimed batch a round, so it reads little more than a batch a round
        page = PAGE if self.claims is None else 2 * CLAIM_BATCH
        while True:
            with self._db.session() as session:
                rows = pending_due(session=session, now=now, limit=page, after=after, channels=running,
                                   unclaimed=self.claims is not None)
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
            if len(rows) < page or (self.claims is not None and len(picked) >= CLAIM_BATCH):
                return self._claimed(picked)
            after = (rows[-1].due_at, rows[-1].id)

    def _claimed(self, picked: list[OutboxRow]) -> list[OutboxRow]:
        """The picked rows this leader now holds (all of them on SQLite, where one process sends)."""
        claims = self.claims
        if claims is None or not picked:
            return picked
        epoch = claims.epoch()
        if epoch is None or not claims.valid():
            return []
        picked = picked[:CLAIM_BATCH]  # sent well within the claim's lease; the rest wait for the next round
        with self._db.session() as session:
            held = claim(session=session, ids=[row.id for row in picked if row.id is not None], holder=claims.holder,
                         epoch=epoch, lease=claims.lease, seconds=claims.seconds)
            session.commit()
        return [row for row in picked if row.id in held]

    # ----- sending -----

    @staticmethod
    def _message(row: OutboxRow) -> Outgoing:
        return Outgoing(Chat(row.channel, row.chat_id, row.is_group, row.chat_name), row.text,
                        markdown=row.markdown, key=row.key, priority=Priority.PUSH, link=row.link or "")

    def _record(self, row: OutboxRow, failure: NotDelivered | None) -> None:
        """One attempt: sent, or failed (`failure`), and when it is tried again, if ever."""
        now = self._now()
        holder = self.claims.holder if self.claims is not None else None
        with self._db.session() as session:
            if failure is None:
                if not mark_sent(session=session, row_id=row.id, now=now, holder=holder):
                    log.warning("outbox: push %s was sent after its claim lapsed; another sender may send it too",
                                row.key)
                self._sent[(row.channel, row.chat_id)].append(now)
                self.sent += 1
            elif failure.held:
                postpone(session=session, row_id=row.id, error=str(failure), until=now + HELD_PAUSE, holder=holder)
                log.info("outbox: push %s to %s/%s held back (%s); pending until %s", row.key, row.channel,
                         row.chat_id, failure, now + HELD_PAUSE)
            else:
                attempts, unsure = row.attempts + 1, row.unconfirmed + failure.maybe_received
                retry_at = None
                if attempts < self._max_attempts and unsure < 2:
                    retry_at = now + timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))
                    if failure.maybe_received:
                        retry_at = max(retry_at, now + UNSURE_PAUSE)
                mark_attempt(session=session, row_id=row.id, error=str(failure), retry_at=retry_at,
                             maybe_received=failure.maybe_received, holder=holder)
                self._report(row, failure, attempts, unsure, retry_at)
            session.commit()

    def _report(self, row: OutboxRow, failure: NotDelivered, attempts: int, unsure: int,
                retry_at: datetime | None) -> None:
        where = f"push {row.key} to {row.channel}/{row.chat_id}"
        if retry_at is not None:
            maybe = " and may have reached it" if failure.maybe_received else ""
            log.warning("outbox: %s failed%s (%s); retry at %s", where, maybe, failure, retry_at)
            return
        self.failed += 1
        if unsure:
            log.error("outbox: %s may have reached the chat without the platform saying so (%d of %d attempts); "
                      "not sent again: %s", where, unsure, attempts, failure)
        else:
            log.error("outbox: %s given up after %d attempts: %s", where, attempts, failure)

    def drain(self) -> int:
        """Send, synchronously, every due row the rate windows allow now; how many were sent."""
        sent = 0
        for row in self._pick(self._now()):
            channel = self._channels().get(row.channel)
            if channel is None:
                self._record(row, NotDelivered(f"no channel {row.channel!r} running"))
                continue
            try:
                channel.send(self._message(row))
            except Exception as exc:  # not handed over: the row stays and is retried; the others go on
                self._record(row, NotDelivered(f"{type(exc).__name__}: {exc}"))
                continue
            self._record(row, None)
            sent += 1
        return sent

    async def _deliver(self, row: OutboxRow, gate: asyncio.Semaphore) -> None:
        async with gate:
            if self.claims is not None and not self.claims.valid():
                return  # no longer leading: the row stays claimed, and is sent by the leader once its claim lapses
            channel = self._channels().get(row.channel)
            if channel is None:
                self._record(row, NotDelivered(f"no channel {row.channel!r} running"))
                return
            message = self._message(row)
            note = WireNote(lambda: self._handover.hand(row, self._now()))
            # the row notes it is handed over before its request may leave: right before, where the channel's
            # lane tells (common/wire.py), else now
            if not notes_wire(channel, message) and not note():
                return  # sent or taken meanwhile (a claim lapsed): not this sender's any more
            token = ON_WIRE.set(note)
            try:
                # a channel that can confirm returns once the platform took it; one that cannot hands
                # the message to its own queue and returns at once
                await channel.deliver(message)
            except NotDelivered as failure:
                if note.answer is not False:  # False: found no longer this sender's, nothing sent or to record
                    self._record(row, failure)
                return
            except Exception as exc:  # a channel's bug, before or after its request: we cannot tell
                log.exception("outbox: delivering %s failed", row.key)
                self._record(row, NotDelivered(f"{type(exc).__name__}: {exc}"[:300], maybe_received=True))
                return
            finally:
                ON_WIRE.reset(token)
            if note.answer is False:
                return  # the lane found the row no longer this sender's: nothing sent, nothing to record
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
