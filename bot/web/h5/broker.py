"""The fan-out of the live contest page's Server-Sent Events: per contest, each step is encoded once (a member's
version and the public one) and the same bytes are written to every open page. Subscribers wait on one shared
future per contest (no task, no queue per page): a step wakes them all, each writes the events it has not seen.

Runs on the service's loop. A step may be published from another thread (tests drive the timers from theirs):
it is then handed to the loop with call_soon_threadsafe."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["Broker", "encode"]

KEEP = 8  # recent steps a slow page may still catch up on (a reveal and the standings come in one tick)
KEEPALIVE = 15.0  # seconds: a comment line keeps proxies from closing a quiet stream
MAX_TOPICS = 2000  # contests remembered; the oldest without a page open are forgotten beyond this


def encode(seq: int, data: dict[str, Any]) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {seq}\nevent: step\ndata: {text}\n\n".encode()


class Topic:
    __slots__ = ("seq", "events", "latest", "waiter", "pages")

    def __init__(self) -> None:
        self.seq = 0
        self.events: deque[tuple[int, bytes, bytes]] = deque(maxlen=KEEP)  # (seq, member's, public)
        self.latest: tuple[dict[str, Any], dict[str, Any]] | None = None  # the last step's views, for /state
        self.waiter: asyncio.Future[None] | None = None
        self.pages = 0


def _wake(topic: Topic, waiter: asyncio.Future[None]) -> None:
    """A quiet topic's pages wake every KEEPALIVE seconds to write a keepalive line."""
    if topic.waiter is waiter:
        topic.waiter = None
    if not waiter.done():
        waiter.set_result(None)


class Broker:
    def __init__(self, keepalive: float = KEEPALIVE) -> None:
        self._topics: dict[int, Topic] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.keepalive = keepalive

    def latest(self, contest_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        topic = self._topics.get(contest_id)
        return topic.latest if topic else None

    def pages(self, contest_id: int) -> int:
        topic = self._topics.get(contest_id)
        return topic.pages if topic else 0

    def publish(self, contest_id: int, member: dict[str, Any], public: dict[str, Any]) -> None:
        loop = self._loop
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if loop is not None and here is not loop and not loop.is_closed():
            loop.call_soon_threadsafe(self._publish, contest_id, member, public)
        else:
            self._publish(contest_id, member, public)

    def _publish(self, contest_id: int, member: dict[str, Any], public: dict[str, Any]) -> None:
        topic = self._topic(contest_id)
        topic.seq += 1
        topic.latest = (member, public)
        topic.events.append((topic.seq, encode(topic.seq, member), encode(topic.seq, public)))
        waiter, topic.waiter = topic.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _topic(self, contest_id: int) -> Topic:
        topic = self._topics.get(contest_id)
        if topic is None:
            if len(self._topics) >= MAX_TOPICS:
                for old in [k for k, t in self._topics.items() if not t.pages][: MAX_TOPICS // 4]:
                    del self._topics[old]
            topic = self._topics[contest_id] = Topic()
        return topic

    async def stream(self, contest_id: int, member: bool) -> AsyncIterator[bytes]:
        """The events of `contest_id` from now on (the page has read the current state from /state)."""
        loop = self._loop = asyncio.get_running_loop()
        topic = self._topic(contest_id)
        seen = topic.seq
        topic.pages += 1
        try:
            yield b"retry: 3000\n: connected\n\n"
            while True:
                if topic.seq > seen:
                    fresh = [e for e in topic.events if e[0] > seen]
                    seen = topic.seq
                    yield b"".join(e[1] if member else e[2] for e in fresh)
                    continue
                if topic.waiter is None:
                    topic.waiter = loop.create_future()
                    loop.call_later(self.keepalive, _wake, topic, topic.waiter)  # one keepalive timer per topic
                # shield: a page that goes away cancels its own wait, not the shared future. Not asyncio.wait(…,
                # timeout): it removes each page's callback from the shared future again, a scan of all the
                # others' (10,000 pages: O(n²), seconds per step in bench/h5.py)
                await asyncio.shield(topic.waiter)
                if topic.seq == seen:
                    yield b": keepalive\n\n"
        finally:
            topic.pages -= 1
