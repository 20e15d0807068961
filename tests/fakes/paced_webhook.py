"""Slow group webhooks, for pushes that must reach a group once (at most twice when a request timed
out), on loopback like the other fakes. Each answers {"errcode": 0, "errmsg": "ok"} as WeCom's
消息推送 and DingTalk's custom robot do, and neither dedupes: every request that arrives whole
reaches the group (`copies`).

- `LateWebhook`: answers a request only once its client has hung up, so the answer always comes
  after the client's timeout, whatever clock that timeout runs on.
- `SerialWebhook`: handles one request at a time, `service` seconds of virtual time each, in the
  order they arrived; a request whose client has gone is handled all the same.

`Wire` is the client's side: an httpx transport that numbers each request (header x-fake-request)
and knows which are still open, so a scenario on virtual time can tell that everything sent has
been dealt with: `wire.open <= fake.holding()` (tests/fakes/virtual_time.py)."""

from __future__ import annotations

import select
import socket
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from fakes.http_api import Answer, FakeHTTPAPI, Later, Recorded
from fakes.virtual_time import VirtualTime

__all__ = ["LateWebhook", "SerialWebhook", "Wire", "text_of", "REQUEST_ID"]

REQUEST_ID = "x-fake-request"
OK = {"errcode": 0, "errmsg": "ok"}


def text_of(request: Recorded) -> str:
    """The text of a WeCom ({"markdown": {"content"}}) or DingTalk ({"markdown": {"text"}}) message."""
    body = request.body if isinstance(request.body, dict) else {}
    part = body.get(body.get("msgtype", ""), {})
    return str(part.get("content") or part.get("text") or "") if isinstance(part, dict) else ""


def _gone(sock: socket.socket) -> bool:
    """The client has closed its side (what a request's answer waits on: a real clock's 10 ms)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0.01)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Holding(FakeHTTPAPI):
    """A webhook that holds answers: `holding()` names the requests it has not answered yet."""

    def __init__(self, touch: Callable[[], None]) -> None:
        super().__init__()
        self._touch = touch
        self._held: dict[str, threading.Event] = {}
        self._closing = False

    def holding(self) -> set[str]:
        with self._changed:
            return set(self._held)

    def copies(self) -> Counter[str]:
        """How many times each text reached the group."""
        return Counter(text_of(r) for r in self.received())

    def _hold(self, request: Recorded, released: Callable[[], bool]) -> Later:
        """Hold `request` (with the lock held) until `released()`; it goes unanswered if its client
        has gone by then."""
        name = request.headers.get(REQUEST_ID, "")
        event = self._held[name] = threading.Event()
        self._touch()

        def later() -> Answer:
            while not event.is_set() and not released():
                event.wait(0.01)
            with self._changed:
                self._held.pop(name, None)
            self._touch()
            return "drop" if self._closing or _gone(request.connection) else OK

        return later

    def _release(self, name: str) -> None:
        with self._changed:
            event = self._held.pop(name, None)
        if event is not None:
            event.set()

    def __exit__(self, *exc: object) -> None:
        self._closing = True
        with self._changed:
            for event in self._held.values():
                event.set()
        super().__exit__(*exc)


class LateWebhook(_Holding):
    name = "fake-late-webhook"

    def answer(self, request: Recorded) -> Answer | Later:
        return self._hold(request, lambda: _gone(request.connection))


class SerialWebhook(_Holding):
    name = "fake-serial-webhook"

    def __init__(self, time: VirtualTime, service: float) -> None:
        super().__init__(time.touch)
        self._time, self._service = time, service
        self._free_at = 0.0  # when the request being handled is done

    def answer(self, request: Recorded) -> Answer | Later:
        name = request.headers.get(REQUEST_ID, "")
        self._free_at = max(self._free_at, self._time.monotonic()) + self._service
        later = self._hold(request, lambda: False)
        self._time.call_at(self._free_at, lambda: self._release(name))
        return later


class Wire(httpx.AsyncBaseTransport):
    """The real transport, with every request numbered and its end noted (`open`: the numbers of
    those not answered and read yet)."""

    def __init__(self, touch: Callable[[], None]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.open: set[str] = set()
        self.count = 0
        self._touch = touch

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        name = str(self.count)
        request.headers[REQUEST_ID] = name
        self.open.add(name)
        self._touch()
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:  # cancelled (the client's timeout) or failed: nothing more will come
            self._ended(name)
            raise
        return httpx.Response(response.status_code, headers=response.headers, extensions=response.extensions,
                              stream=_Closing(response.stream, lambda: self._ended(name)))

    def _ended(self, name: str) -> None:
        self.open.discard(name)
        self._touch()

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Closing(httpx.AsyncByteStream):
    def __init__(self, inner: Any, closed: Callable[[], None]) -> None:
        self._inner, self._closed = inner, closed

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._closed()
