"""The WeCom long connection's outgoing pushes: `aibot_send_msg` frames in a lane per conversation
(common/send_lanes.py) that keeps WeCom's limits (30 a minute, 1,000 an hour) by waiting, never
dropping, and sends the most urgent frame first (a reveal before acknowledgements and pushes).

A push the connection took but WeCom never acked may have reached the chat: the outbox's (awaited,
`confirmed`) fail as such and the outbox decides; others are sent again on the next connection,
once (the reconnect's backoff is the pause), never a third time, as a new message (`renew`: a new
req_id, a card under a new task_id, which WeCom takes only once; our own count is the dedupe).
Replies bound to a callback's req_id do not wait here: they go at once, and are counted in the same
window (`record`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed

from bot.channels.base import NotDelivered
from bot.channels.common.aio import Clock, Sleep
from bot.channels.common.send_lanes import Later, SendLanes
from bot.messages import Priority

__all__ = ["SendQueue", "DEFAULT_LIMITS"]

log = logging.getLogger(__name__)

DEFAULT_LIMITS = ((30, 60.0), (1000, 3600.0))  # messages per conversation per window (seconds)
_INFLIGHT_MAX = 1000

# (connection, cmd, req_id, body): sends one frame, awaiting its ack as the connection does
SendFrame = Callable[[Any, str, str, dict[str, Any] | None], Awaitable[None]]


@dataclass
class _Frame:
    frame: dict[str, Any]
    priority: int
    arrival: int = 0

    @property
    def req_id(self) -> str:
        return str(self.frame["headers"]["req_id"])


class SendQueue:
    """`push` only queues; `run` is the senders' task, which sends on the subscribed connection
    (`connection()`, None while there is none) through `send_frame`."""

    def __init__(self, limits: tuple[tuple[int, float], ...], *, send_frame: SendFrame,
                 connection: Callable[[], Any], renew: Callable[[dict[str, Any]], dict[str, Any]] = lambda f: f,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._lanes: SendLanes[_Frame] = SendLanes(limits, send=self._send, ready=self._connected, clock=clock,
                                                   sleep=sleep, name="wecom robot", log=log)
        self._send_frame, self._connection, self._renew = send_frame, connection, renew
        self._inflight: OrderedDict[str, tuple[str, _Frame]] = OrderedDict()  # sent, not yet acked
        self._waiters: dict[str, asyncio.Future[None]] = {}  # req_id -> resolved on its ack (the outbox waits)
        self._resent: set[str] = set()  # frames sent again after a lost connection: not a third time
        self._broken: Any = None  # the connection a frame could not be written to
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._wake = asyncio.Event()  # bound to this loop
        self._wake.set()  # messages queued before the start go out once subscribed

    def wake(self) -> None:
        """A connection was subscribed."""
        self._wake.set()

    def push(self, chat_key: str, frames: list[dict[str, Any]], confirmed: bool = False,
             priority: int = Priority.REPLY) -> list[asyncio.Future[None]]:
        """Queue the frames by `priority`; with `confirmed` (on the loop), futures resolved when WeCom
        acks each one and failed when it answers an error."""
        futures = []
        if confirmed:
            loop = asyncio.get_running_loop()
            for frame in frames:
                futures.append(self._waiters.setdefault(frame["headers"]["req_id"], loop.create_future()))
        for frame in frames:
            item = _Frame(frame, int(priority))
            item.arrival = self._lanes.put(chat_key, item, priority)
        return futures

    def queued(self, req_id: str) -> bool:
        """The frame waits in its lane (not sent yet)."""
        return self._lanes.queued(lambda item: item.req_id == req_id)

    def withdraw(self, req_ids: list[str]) -> int:
        """Take the frames back (a caller that stopped waiting decides what comes next): those not
        sent yet are never sent, those sent are not sent again; how many had been sent."""
        wanted = set(req_ids)
        self._lanes.take_back(lambda item: item.req_id in wanted)
        for req_id in req_ids:
            waiter = self._waiters.pop(req_id, None)
            if waiter is not None and not waiter.done():
                waiter.cancel()
        return sum(1 for req_id in req_ids if self._inflight.pop(req_id, None) is not None)

    def record(self, chat_key: str) -> None:
        """A message sent to the conversation outside the queue (a reply): it counts all the same."""
        self._lanes.record(chat_key)

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
        return self._lanes.pending() + len(self._inflight)

    async def run(self) -> None:
        """The conversations' senders, until cancelled."""
        self._lanes.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self._lanes.stop()

    async def drain(self) -> None:
        """Wait until every frame queued so far has left (tests and benches)."""
        await self._lanes.drain()

    async def _connected(self) -> None:
        """Wait for a subscribed connection other than the one that broke."""
        while (ws := self._connection()) is None or ws is self._broken:
            self._wake.clear()
            await self._wake.wait()

    async def _send(self, chat_key: Hashable, item: _Frame) -> None:
        ws = self._connection()
        if ws is None:
            raise Later
        try:
            await self._send_frame(ws, item.frame["cmd"], item.req_id, item.frame.get("body"))
        except ConnectionClosed:
            self._broken = ws
            raise Later from None  # the frame stays queued for the next connection
        self._inflight[item.req_id] = (str(chat_key), item)
        self._inflight.move_to_end(item.req_id)
        while len(self._inflight) > _INFLIGHT_MAX:
            self._resent.discard(self._inflight.popitem(last=False)[0])

    def requeue_inflight(self) -> None:
        """The connection was lost: what it took and WeCom never acked may have reached the chat.
        The outbox's pushes fail as such (it decides); others go out again on the next connection,
        once, in their place (their priority)."""
        again, lost = 0, 0
        for req_id, (chat_key, item) in self._inflight.items():
            waiter = self._waiters.pop(req_id, None)
            if waiter is not None:
                if not waiter.done():
                    waiter.set_exception(NotDelivered("connection lost before WeCom's ack", maybe_received=True))
            elif req_id in self._resent:
                self._resent.discard(req_id)
                lost += 1
            else:
                item.frame = self._renew(item.frame)  # a new message: new req_id, new task_id
                self._resent.add(item.req_id)
                self._lanes.put(chat_key, item, item.priority, item.arrival)
                again += 1
        if again:
            log.info("wecom robot: %d unacknowledged push(es) queued again", again)
        if lost:
            log.warning("wecom robot: %d push(es) sent twice without WeCom's ack, not sent a third time", lost)
        self._inflight.clear()
