"""What a platform callback endpoint checks before it trusts a request, the same for the WeCom
app, the WeCom smart robot (HTTP mode) and the WeChat Official Account: the body read up to a
size limit (413 past it), the timestamp a number within a window of now, the signature (sha1 of the
sorted token, timestamp, nonce and payload) compared in constant time, the EncodingAESKey's
shape; and text made safe for the CDATA of an XML passive reply. Each is served the same way
(`router`): GET verifies the URL when it is saved in the admin console, POST is a callback.

No logging here: each adapter says in its own log line, under its own logger, why it refused."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["router", "BodyTooLarge", "read_body", "stale_timestamp", "signature", "same_signature", "is_aes_key",
           "cdata_safe"]

Endpoint = Callable[[Request], Awaitable[Response]]


def router(path: str, *, verify: Endpoint, receive: Endpoint) -> APIRouter:
    """GET `path` → `verify`, POST → `receive`. Plain Starlette routes: the endpoints read their raw
    query and body themselves, and FastAPI's parameter machinery would cost about 50 µs more per
    callback."""
    routes = APIRouter()
    routes.routes.append(Route(path, verify, methods=["GET"], include_in_schema=False))
    routes.routes.append(Route(path, receive, methods=["POST"], include_in_schema=False))
    return routes


class BodyTooLarge(Exception):
    """The body is over the limit. `declared`: its Content-Length when that said so, else None
    (counted as it came)."""

    def __init__(self, declared: int | None) -> None:
        super().__init__(declared)
        self.declared = declared


_DIGITS = 18  # more than any body size or Unix time a platform sends


def _number(text: str) -> int | None:
    """ASCII digits only: int() would also take " 12", "+12", "1_2" and other scripts' digits. At
    most 18 of them: a longer number is no size or time we accept, and int() refuses one of 4,301
    digits (ValueError) while one of 309 overflows as a float."""
    return int(text) if len(text) <= _DIGITS and text.isascii() and text.isdigit() else None


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (BodyTooLarge) as soon as its declared length or the bytes read so far
    pass `limit`: a chunked body without a Content-Length is counted as it arrives."""
    declared = _number(request.headers.get("content-length", ""))
    if declared is not None and declared > limit:
        raise BodyTooLarge(declared)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(None)
    return bytes(body)


def stale_timestamp(timestamp: str | None, now: float, window: float) -> str | None:
    """Why a callback's timestamp (Unix seconds) is refused at `now` (also Unix seconds): not a
    number, or more than `window` seconds off; None when it is fresh. Fit for a log line: the
    timestamp itself is not quoted, since it may be any length."""
    sent = _number(timestamp or "")
    if sent is None:
        return "timestamp missing or not a number"
    skew = now - sent
    if abs(skew) > window:
        return f"timestamp {abs(skew):.0f} s {'old' if skew > 0 else 'ahead'}, outside the {window:.0f} s window"
    return None


def signature(*parts: str) -> str:
    """WeChat's and WeCom's callback signature: sha1 of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def same_signature(expected: str, given: str) -> bool:
    """In constant time (wechatpy compares with `!=`); a given signature that is not ASCII is
    simply wrong, where hmac.compare_digest on two str would raise."""
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


def is_aes_key(value: str) -> bool:
    """An EncodingAESKey: 43 characters of Base64 that decode to 32 bytes. wechatpy only checks
    it with `assert`, which `python -O` strips."""
    try:
        return len(value) == 43 and len(base64.b64decode(value + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def cdata_safe(text: str) -> str:
    """wechatpy puts text in CDATA without escaping: a "]]>" in it would end the section."""
    return text.replace("]]>", "]]]]><![CDATA[>")
