"""When a card tap's ack leaves, and what becomes of the member's card when it left without their answer.

DingTalk wants a card callback answered within 2 s. A tap's ack carries the member's card change
(`userPrivateData`, no API call) when the core answered it in time: the ack waits for it at most
`wait` seconds (1.3: with the loop's own delays it leaves within 1.5) from the moment the frame was
read, not from when its turn came. When the core is behind (the taps queued ahead of this one would
take longer than most of that: a burst), the ack leaves at once. Either way, a change whose ack had
left goes through the card API, gathered: one update per card for all the members whose acks left
meanwhile (one metered call for many taps), and none once the monthly quota is nearly spent (quota.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from dingtalk_stream import AckMessage, CallbackHandler
from dingtalk_stream.frames import CallbackMessage

from bot.channels.dingtalk import cards
from bot.channels.dingtalk.quota import Quota

__all__ = ["TapHandler", "LateCards", "MEMBERS_PER_UPDATE"]

log = logging.getLogger(__name__)

MEMBERS_PER_UPDATE = 100  # members' private data in one card update


class TapHandler(CallbackHandler):
    """`accept(callback)` queues the tap's work and returns the future of its response; `behind()` says
    whether the work queued ahead would take longer than `wait`."""

    acks_with_answer = True  # the stream client runs it beside the read loop (StreamClient._on_raw)

    def __init__(self, accept: Callable[[CallbackMessage], asyncio.Future[dict[str, Any] | None]], wait: float,
                 behind: Callable[[], bool] = lambda: False, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._accept, self._wait, self._behind, self._clock = accept, wait, behind, clock
        self._received: dict[str, tuple[asyncio.Future[dict[str, Any] | None], float]] = {}

    def received(self, frame: dict[str, Any]) -> None:
        """The frame was just read (the stream client calls this before reading the next): its work is
        queued now, in the order the frames came, and its deadline runs from now."""
        callback = CallbackMessage.from_dict(frame)
        answer = self._accept(callback)
        if self._wait <= 0 or self._behind():
            answer.cancel()  # ack at once; the member's card through the API when the core gets to it
        self._received[callback.headers.message_id] = (answer, self._clock() + self._wait)

    async def process(self, callback: CallbackMessage) -> tuple[int, Any]:
        taken = self._received.pop(callback.headers.message_id, None)
        answer, deadline = taken if taken is not None else (self._accept(callback), self._clock() + self._wait)
        remaining = deadline - self._clock()
        if remaining > 0 and not answer.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(answer), remaining)
        if not answer.done():
            answer.cancel()  # too late for the response
        response = None if answer.cancelled() else answer.result()
        return AckMessage.STATUS_OK, {} if response is None else response  # an object, as documented


class LateCards:
    """Members' card changes whose ack had left, sent as one card update per card. `schedule(flush)`
    runs `flush` after the frames already queued (the channel's inbox), `send(body)` updates a card."""

    def __init__(self, *, schedule: Callable[[Callable[[], None]], None],
                 send: Callable[[dict[str, Any]], Coroutine[Any, Any, None]],
                 spawn: Callable[[Coroutine[Any, Any, None]], None], quota: Quota) -> None:
        self._schedule, self._send, self._spawn, self._quota = schedule, send, spawn, quota
        self._pending: dict[str, dict[str, dict[str, str]]] = {}  # outTrackId -> member -> their data

    def add(self, track_id: str, user: str, private: dict[str, str]) -> None:
        if not self._quota.cards_allowed():
            log.info("dingtalk: near the monthly API quota: %s's card not updated after a late tap", user)
            return
        if not self._pending:
            self._schedule(self.flush)
        self._pending.setdefault(track_id, {})[user] = private

    def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for track_id, members in pending.items():
            users = list(members)
            for start in range(0, len(users), MEMBERS_PER_UPDATE):
                chunk = {user: members[user] for user in users[start:start + MEMBERS_PER_UPDATE]}
                self._spawn(self._send(cards.update_body(track_id, private=chunk)))
