"""What the platforms' send-only group webhooks (WeCom 消息推送, DingTalk custom robot) share:
a lane per webhook (common/send_lanes.py: a queue by priority and arrival, the 20-a-minute window,
a sender task; a burst waits, it is never dropped), one log line for what is given up. Subclasses
say how a request is addressed and which error codes mean what.

Who retries (common/retries.py): a message the outbox awaits (`confirmed`) gets one request, and
the outbox decides what comes next; any other is retried here, a request that may have reached
the group at most once, each try counted in the webhook's window."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels.base import NotDelivered
from bot.channels.common.aio import Clock, Sleep
from bot.channels.common.attempts import post_once
from bot.channels.common.retries import Retries, keep_trying
from bot.channels.common.send_lanes import SendLanes
from bot.channels.common.wire import ON_WIRE, WireNote
from bot.messages import Priority

__all__ = ["WebhookLanes", "Lane", "Item", "confirm", "fingerprint"]


@dataclass
class Item:
    body: dict[str, Any]
    what: str  # "markdown 1/2" for the log, never the content
    done: asyncio.Future[None] | None = None  # the outbox's: resolved when delivered, NotDelivered when not
    priority: Priority = Priority.REPLY
    wire: WireNote | None = None  # the outbox's: called right before the request's first byte (common/wire.py)


def confirm(items: list[Item]) -> list[asyncio.Future[None]]:
    """Give each item a future the caller can await (on the running loop), and the outbox's WireNote if the
    caller set one."""
    loop = asyncio.get_running_loop()
    for item in items:
        item.done = loop.create_future()
        item.wire = ON_WIRE.get()
    return [item.done for item in items if item.done is not None]


@dataclass
class Lane:
    """One webhook: how it is addressed (its queue is in the `SendLanes`)."""
    key: str  # the webhook's key or access token: a secret
    label: str
    secret: str | None = None  # a signing secret, where the platform has one


def fingerprint(prefix: str, key: str) -> str:
    """A name for a webhook in the log that does not give its key away."""
    return f"{prefix}#" + hashlib.sha256(key.encode()).hexdigest()[:6]


class WebhookLanes:
    """Queue with `_enqueue` (from the service's loop or another thread); `start()` runs the senders,
    `stop()` flushes what is queued, with a timeout. A request gets `timeout` seconds of `timer` for
    its answer; `pause` seconds pass before the one more try of a request that may have been received.
    `clock`, `sleep`, `timer` and `transport` are for tests: a fake clock whose sleep moves it on
    tests the rate limit without waiting."""

    retry_errcodes: frozenset[int] = frozenset()
    explained: dict[int, str] = {}
    name = "webhook"  # how log lines name this kind of webhook
    key_prefix = "key"  # fingerprints read "key#1a2b3c"

    def __init__(self, *, log: logging.Logger, per_minute: int, window: float, attempts: int, backoff_max: float,
                 timeout: float, pause: float = 30.0, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
                 timer: Sleep = asyncio.sleep, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._log = log
        self._send_lanes: SendLanes[Item] = SendLanes(((per_minute, window),), send=self._deliver, clock=clock,
                                                      sleep=sleep, name=self.name, log=log)
        self._retries = Retries(attempts=attempts, first=2.0, most=backoff_max, pause=pause)
        self._timeout = timeout
        self._clock, self._sleep, self._timer, self._transport = clock, sleep, timer, transport
        self._lanes: dict[str, Lane] = {}
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = False

    def _request(self, lane: Lane) -> tuple[str, dict[str, str] | None]:
        """The URL (and query parameters) of one request to this lane's webhook."""
        raise NotImplementedError

    # ----- lifecycle -----

    async def start(self) -> None:
        if self._running:
            return
        self._loop = asyncio.get_running_loop()
        # no timeout of httpx's own: `post_once` bounds each request on `timer`, and tells apart
        # a request that timed out before its last byte left from one that timed out after
        self._client = httpx.AsyncClient(timeout=None, transport=self._transport)
        self._running = True
        self._send_lanes.start()

    async def stop(self, timeout: float = 10.0) -> None:
        """Send what is queued (for at most `timeout` seconds), then stop; what is left is
        counted in the log."""
        if not self._running:
            return
        try:
            await asyncio.wait_for(self.drain(), timeout)
        except TimeoutError:
            pass
        self._running = False
        left = self._send_lanes.pending()
        await self._send_lanes.stop()
        if left:
            self._log.warning("%s: stopped with %d message(s) not sent", self.name, left)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def drain(self) -> None:
        """Wait until every message queued so far is delivered or dropped."""
        if self._running:
            await self._send_lanes.drain()

    def pending(self) -> int:
        return self._send_lanes.pending()

    # ----- queueing -----

    def _enqueue(self, key: str, label: str, item: Item, secret: str | None = None) -> None:
        if not key:
            raise ValueError(f"{self.name} key is empty")
        loop = self._loop
        if loop is not None and loop.is_running() and not _on_loop(loop):
            loop.call_soon_threadsafe(self._enqueue_here, key, label, item, secret)  # a caller on another thread
        else:
            self._enqueue_here(key, label, item, secret)

    def _enqueue_here(self, key: str, label: str, item: Item, secret: str | None) -> None:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = Lane(key, label or fingerprint(self.key_prefix, key), secret or None)
        else:
            lane.secret = secret or None  # the latest secret wins (it may have been rotated)
            if label and lane.label != label:
                lane.label = label
        self._send_lanes.put(key, item, item.priority)

    # ----- sending -----

    async def _deliver(self, key: Hashable, item: Item) -> None:
        """The lane's one send of `item` (its window already counted the first request)."""
        if item.done is not None and item.done.cancelled():
            return  # the outbox stopped waiting for it (a leader stepping down): its row stays, and is sent later
        lane = self._lanes[str(key)]
        tries = 0

        async def attempt() -> None:
            nonlocal tries
            tries += 1
            if tries > 1:
                await self._send_lanes.room(lane.key, item.priority)  # a retry is one more request in the window
            await self._attempt(lane, item)

        try:
            if item.done is not None:
                await attempt()  # the outbox's: it owns the retries, and counts them
            else:
                await keep_trying(attempt, self._retries, self._sleep,
                                  lambda failure, tries, wait: self._retrying(lane, item, failure, wait))
        except NotDelivered as failure:
            if item.done is None:
                maybe = "; it may have reached the group" if failure.maybe_received else ""
                self._log.error("%s %s: %s dropped: %s%s", self.name, lane.label, item.what, failure, maybe)
            elif not item.done.done():
                item.done.set_exception(failure)
            return
        except Exception as exc:
            if item.done is not None and not item.done.done():
                item.done.set_exception(NotDelivered(f"{type(exc).__name__}", maybe_received=True))
            raise
        if item.done is not None and not item.done.done():
            item.done.set_result(None)

    def _retrying(self, lane: Lane, item: Item, failure: NotDelivered, wait: float) -> None:
        if failure.maybe_received:
            self._log.warning("%s %s: %s may have reached the group (%s); sending it once more in %.0f s",
                              self.name, lane.label, item.what, failure, wait)

    async def _attempt(self, lane: Lane, item: Item) -> None:
        """One request; returns when the platform took the message, raises NotDelivered when not."""
        assert self._client is not None
        url, params = self._request(lane)
        response = await post_once(self._client, url, params=params, body=item.body, timeout=self._timeout,
                                   timer=self._timer, leaving=item.wire)
        try:
            payload = response.json()
            errcode = int(payload.get("errcode", 0))
            errmsg = str(payload.get("errmsg", ""))[:100]
        except (ValueError, AttributeError, TypeError):
            # a 2xx we cannot read (a proxy's page?): it may have passed the message on
            raise NotDelivered("unreadable answer", maybe_received=True) from None
        if errcode == 0:
            return
        if errcode in self.retry_errcodes:  # busy or rate-limited: the platform did not take it
            raise NotDelivered(f"errcode {errcode} ({self.explained.get(errcode, errmsg)})")
        why = self.explained.get(errcode, errmsg.split(",")[0])  # errmsg's tail is often a hint URL
        raise NotDelivered(f"errcode {errcode} ({why})", refused=True)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
