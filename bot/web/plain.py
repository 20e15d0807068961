"""Plain ASGI for the few routes a crowd uses at once: the live contest page's answers and event streams (10,000
members within seconds, bench/h5.py). Through FastAPI an answer crossed two applications' middleware stacks, a mount,
the router and the dependency layer, ~0.25 ms of the loop's time before any of ours; an open stream held a task group,
two tasks and a generator (~50 KB a page). Here such a route is a coroutine that reads the request and writes the
response itself, with the headers SecurityHeaders would have added; every other path goes on to the framework."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.web.security import SecurityHeaders, fixed_headers

__all__ = ["PlainFront", "PlainRoute", "Reply", "cookies", "header", "read_body", "url_form", "json_reply"]

# a route for this request (its arguments bound), or None: the request is the framework's
PlainRoute = Callable[[Scope, Receive, Send], Awaitable[None]]


class PlainFront:
    """The application uvicorn serves: `route(scope)` picks a plain route, else `framework` answers."""

    def __init__(self, framework: ASGIApp, route: Callable[[Scope], PlainRoute | None]) -> None:
        self.framework, self.route = framework, route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = self.route(scope)
            if route is not None:
                await route(scope, receive, send)
                return
        await self.framework(scope, receive, send)


class Reply:
    """How a plain route answers: the dashboard's fixed headers (and no-store) on every response."""

    def __init__(self, frame_ancestors: list[str] | None) -> None:
        self.frame_ancestors = frame_ancestors
        self.fixed = [(name.lower().encode(), value.encode()) for name, value in fixed_headers(frame_ancestors)]
        self.fixed.append((b"cache-control", b"no-store"))

    async def start(self, send: Send, status: int, content_type: bytes, extra: list[tuple[bytes, bytes]]) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), *self.fixed, *extra]})

    async def whole(self, send: Send, status: int, body: bytes, content_type: bytes,
                    extra: list[tuple[bytes, bytes]]) -> None:
        await self.start(send, status, content_type, [(b"content-length", b"%d" % len(body)), *extra])
        await send({"type": "http.response.body", "body": body})

    async def response(self, scope: Scope, receive: Receive, send: Send, response: Response) -> None:
        """A framework response (a refusal's page), with the headers as SecurityHeaders adds them."""
        await SecurityHeaders(response, self.frame_ancestors)(scope, receive, send)

    @staticmethod
    def request(scope: Scope, receive: Receive) -> Request:
        return Request(scope, receive)


def cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies, read as Starlette's Request.cookies reads them."""
    found: dict[str, str] = {}
    for key, value in scope["headers"]:
        if key == b"cookie":
            found.update(cookie_parser(value.decode("latin-1")))
    return found


def header(scope: Scope, name: bytes) -> bytes:
    """The request's header `name` (lower case), or b""."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request's body; None when it is longer than `limit` bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def url_form(body: bytes) -> dict[str, str]:
    """A url-encoded form's fields, the last value of a repeated one: what parse_qsl(keep_blank_values=True) reads,
    without its generality's cost (a fifth of an answer's own time in the web layer)."""
    fields: dict[str, str] = {}
    for field in body.decode("utf-8", "replace").split("&"):
        if field:
            name, _, value = field.partition("=")
            fields[_unquoted(name)] = _unquoted(value)
    return fields


def _unquoted(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    return unquote(text, errors="replace") if "%" in text else text


def json_reply(data: Any) -> bytes:
    """JSON as Starlette's JSONResponse writes it."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()
