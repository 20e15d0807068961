"""The fan-out of the live contest page's Server-Sent Events: per contest, each step is encoded once (a member's
version and the public one) and the same bytes are written to every open page.

A page is the plain ASGI route's coroutine (bot/web/h5/live_routes.py), parked on ASGI `receive`: the server answers
it when the page goes away (http.disconnect), and a step wakes it by cancelling that wait (Task.cancel, taken back
with Task.uncancel, so a real cancellation — the server stopping — still goes through). One task and one waiting
coroutine per page, nothing else: a future of its own plus a second task watching `receive` cost ~1.5 KB more a
page, 15 MB of the 300 MB that 10,000 open pages may take (bench/h5.py); a queue, a generator and a task group per
page behind a StreamingResponse held ~50 KB each.

Runs on the service's loop. A step may be published from another thread (tests drive the timers from theirs):
it is then handed to the loop with call_soon_threadsafe."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any

from starlette.types import Receive, Send

__all__ = ["Broker", "encode"]

KEEP = 8  # recent steps a slow page may still catch up on (a reveal and the standings come in one tick)
KEEPALIVE = 15.0  # seconds: a comment line keeps proxies from closing a quiet stream
MAX_TOPICS = 2000  # contests remembered; the oldest without a page open are forgotten beyond this
SLICE = 500  # pages woken per turn of the loop
HELLO = b"retry: 3000\n: connected\n\n"
KEEPALIVE_LINE = b": keepalive\n\n"


def encode(seq: int, data: dict[str, Any]) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {seq}\nevent: step\ndata: {text}\n\n".encode()


class Page:
    __slots__ = ("task", "parked")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.parked = False  # waiting on `receive` only: the one await a wake-up may interrupt

    def rouse(self) -> None:
        if self.parked:
            self.parked = False
            self.task.cancel()


class Topic:
    __slots__ = ("seq", "events", "latest", "pages", "keepalive")

    def __init__(self) -> None:
        self.seq = 0
        self.events: deque[tuple[int, bytes, bytes]] = deque(maxlen=KEEP)  # (seq, member's, public)
        self.latest: tuple[dict[str, Any], dict[str, Any]] | None = None  # the last step's views, for /state
        self.pages: dict[Page, None] = {}  # in the order they opened: the first come are written to first
        self.keepalive: asyncio.TimerHandle | None = None  # one timer per topic, not per page

    def rouse(self, loop: asyncio.AbstractEventLoop) -> None:
        _rouse(loop, list(self.pages), 0)

    def keep_alive(self, loop: asyncio.AbstractEventLoop) -> None:
        self.keepalive = None
        self.rouse(loop)


def _rouse(loop: asyncio.AbstractEventLoop, pages: list[Page], start: int) -> None:
    """Wakes SLICE pages, and the next SLICE on the loop's next turn: the answers that come in while a step goes
    out to 10,000 pages wait for one slice's writes (~20 ms), not for all of them (~0.4 s)."""
    for page in pages[start:start + SLICE]:
        page.rouse()
    if start + SLICE < len(pages):
        loop.call_soon(_rouse, loop, pages, start + SLICE)


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
        return len(topic.pages) if topic else 0

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
        if topic.pages and self._loop is not None:  # pages are only ever open on the loop: the one `serve` runs on
            topic.rouse(self._loop)

    def _topic(self, contest_id: int) -> Topic:
        topic = self._topics.get(contest_id)
        if topic is None:
            if len(self._topics) >= MAX_TOPICS:
                for old in [k for k, t in self._topics.items() if not t.pages][: MAX_TOPICS // 4]:
                    del self._topics[old]
            topic = self._topics[contest_id] = Topic()
        return topic

    async def serve(self, contest_id: int, member: bool, send: Send, receive: Receive) -> None:
        """Writes the events of `contest_id` from now on (the page has read the current state from /state) as the
        body of a response already started, until the page goes away."""
        loop = self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None, "a page is served by a task of its own (the server's, for its request)"
        topic = self._topic(contest_id)
        seen = topic.seq
        page = Page(task)
        topic.pages[page] = None
        try:
            if (await receive())["type"] == "http.disconnect":  # a GET's body, empty, comes first
                return
            await _write(send, HELLO)
            while True:
                if topic.seq > seen:
                    fresh = [e[1] if member else e[2] for e in topic.events if e[0] > seen]
                    seen = topic.seq
                    await _write(send, fresh[0] if len(fresh) == 1 else b"".join(fresh))
                    continue
                if topic.keepalive is None:
                    topic.keepalive = loop.call_later(self.keepalive, topic.keep_alive, loop)
                page.parked = True
                try:
                    message = await receive()
                except asyncio.CancelledError:
                    # woken (rouse unparked it before cancelling), unless the server is stopping too
                    if page.parked or task.uncancel() > 0:
                        raise
                    if topic.seq == seen:
                        await _write(send, KEEPALIVE_LINE)
                    continue
                page.parked = False
                if message["type"] == "http.disconnect":
                    return
        finally:
            topic.pages.pop(page, None)
            if not topic.pages and topic.keepalive is not None:
                topic.keepalive.cancel()
                topic.keepalive = None


async def _write(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})
