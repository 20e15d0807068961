"""The WeCom long connection's outgoing pushes: `aibot_send_msg` frames in a queue per
conversation that keeps WeCom's limits (30 a minute, 1,000 an hour) by waiting, never dropping.

A push the connection took but WeCom never acked may have reached the chat: the outbox's (awaited,
`confirmed`) fail as such and the outbox decides; others are sent again on the next connection,
once (the reconnect's backoff is the pause), never a third time. Replies bound to a callback's
req_id do not wait here: they go at once, and are only counted."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.exceptions import ConnectionClosed

from bot.channels.base import NotDelivered
from bot.channels.common.aio import Clock, Sleep, within
from bot.channels.common.rate_window import RateWindow

__all__ = ["SendQueue", "DEFAULT_LIMITS"]

log = logging.getLogger(__name__)

DEFAULT_LIMITS = ((30, 60.0), (1000, 3600.0))  # messages per conversation per window (seconds)
_INFLIGHT_MAX = 1000

# (connection, cmd, req_id, body): sends one frame, awaiting its ack as the connection does
SendFrame = Callable[[Any, str, str, dict[str, Any] | None], Awaitable[None]]


class SendQueue:
    """`push` only queues; `run` is the sender task, which sends on the subscribed connection
    (`connection()`, None while there is none) through `send_frame`."""

    def __init__(self, limits: tuple[tuple[int, float], ...], *, send_frame: SendFrame,
                 connection: Callable[[], Any], clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._window = RateWindow(limits)
        self._send_frame, self._connection = send_frame, connection
        self._clock, self._sleep = clock, sleep
        self._queues: dict[str, deque[dict[str, Any]]] = {}  # conversation -> aibot_send_msg frames
        self._inflight: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()  # sent, not yet acked
        self._waiters: dict[str, asyncio.Future[None]] = {}  # req_id -> resolved on its ack (the outbox waits)
        self._resent: set[str] = set()  # frames sent again after a lost connection: not a third time
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._wake = asyncio.Event()  # bound to this loop
        self._wake.set()  # messages queued before the start go out once subscribed

    def wake(self) -> None:
        """A connection was subscribed, or there is more to send."""
        self._wake.set()

    def push(self, chat_key: str, frames: list[dict[str, Any]], confirmed: bool = False) -> list[asyncio.Future[None]]:
        """Queue the frames; with `confirmed` (on the loop), futures resolved when WeCom acks each one
        and failed when it answers an error."""
        futures = []
        if confirmed:
            loop = asyncio.get_running_loop()
            for frame in frames:
                futures.append(self._waiters.setdefault(frame["headers"]["req_id"], loop.create_future()))
        self._queues.setdefault(chat_key, deque()).extend(frames)
        self._wake.set()
        return futures

    def withdraw(self, req_ids: list[str]) -> int:
        """Take the frames back (a caller that stopped waiting decides what comes next): those not
        sent yet are never sent, those sent are not sent again; how many had been sent."""
        wanted = set(req_ids)
        for chat_key, queue in list(self._queues.items()):
            kept = deque(frame for frame in queue if frame["headers"]["req_id"] not in wanted)
            self._queues[chat_key] = kept
        for req_id in req_ids:
            waiter = self._waiters.pop(req_id, None)
            if waiter is not None and not waiter.done():
                waiter.cancel()
        return sum(1 for req_id in req_ids if self._inflight.pop(req_id, None) is not None)

    def record(self, chat_key: str) -> None:
        """A message sent to the conversation outside the queue (a reply): it counts all the same."""
        self._window.record(chat_key, self._clock())

    def acked(self, req_id: str, error: str | None = None) -> None:
        self._inflight.pop(req_id, None)
        self._resent.discard(req_id)
        waiter = self._waiters.pop(req_id, None)
        if waiter is not None and not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:  # WeCom answered: it did not take this one
                waiter.set_exception(NotDelivered(f"WeCom refused the push: {error}"))

    def left(self) -> int:
        """Messages not delivered: queued, or sent and never acked."""
        return sum(len(q) for q in self._queues.values()) + len(self._inflight)

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await self._flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the sender die: messages stay queued
                log.exception("wecom robot: sending failed")
                delay = 1.0
            if delay is None:
                await self._wake.wait()
            else:  # until the window has room, or a new message or connection comes first
                await within(self._wake.wait(), delay, self._sleep)

    async def _flush(self) -> float | None:
        """Send what each conversation's limit allows now; seconds until more may go (None: nothing waits)."""
        ws = self._connection()
        if ws is None:
            return None  # woken when a connection is subscribed
        next_in: float | None = None
        for chat_key in list(self._queues):
            queue = self._queues.get(chat_key)
            while queue:
                now = self._clock()
                wait = self._window.wait(chat_key, now)
                if wait > 0:
                    next_in = wait if next_in is None else min(next_in, wait)
                    break
                frame = queue[0]
                req_id = frame["headers"]["req_id"]
                try:
                    await self._send_frame(ws, frame["cmd"], req_id, frame["body"])
                except ConnectionClosed:
                    return None  # the frame stays queued for the next connection
                queue.popleft()
                self._window.record(chat_key, now)
                self._inflight[req_id] = (chat_key, frame)
                self._inflight.move_to_end(req_id)
                while len(self._inflight) > _INFLIGHT_MAX:
                    self._resent.discard(self._inflight.popitem(last=False)[0])
                if self._connection() is not ws:
                    return None
            if queue is not None and not queue and self._queues.get(chat_key) is queue:
                del self._queues[chat_key]
        self._window.forget_idle(self._clock())
        return next_in

    def requeue_inflight(self) -> None:
        """The connection was lost: what it took and WeCom never acked may have reached the chat.
        The outbox's pushes fail as such (it decides); others go out again on the next connection,
        once."""
        again, lost = [], 0
        for req_id, (chat_key, frame) in self._inflight.items():
            waiter = self._waiters.pop(req_id, None)
            if waiter is not None:
                if not waiter.done():
                    waiter.set_exception(NotDelivered("connection lost before WeCom's ack", maybe_received=True))
            elif req_id in self._resent:
                self._resent.discard(req_id)
                lost += 1
            else:
                self._resent.add(req_id)
                again.append((chat_key, frame))
        for chat_key, frame in reversed(again):
            self._queues.setdefault(chat_key, deque()).appendleft(frame)
        if again:
            log.info("wecom robot: %d unacknowledged push(es) queued again", len(again))
        if lost:
            log.warning("wecom robot: %d push(es) sent twice without WeCom's ack, not sent a third time", lost)
        self._inflight.clear()
