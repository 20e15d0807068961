"""What a failed request to a platform means: did it certainly not reach the platform (safe to send
again), may it have reached it (sending again may show the message twice), or did the platform
refuse it? Every sender asks here, so one reading holds for every platform.

The line is drawn at the request's last byte. Until the whole request has been written, the
platform cannot have acted on it: a refused or timed-out connection, a failed DNS lookup, a TLS
handshake that failed, a write that failed halfway. Once it has been written, anything short of
an answer leaves it open: a timeout while waiting, a connection dropped before the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Any

import httpx
import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.exceptions import SSLError as TLSError

from bot.channels.base import NotDelivered
from bot.channels.common.aio import Sleep, within

__all__ = ["status_failure", "post_once", "requests_failure", "api_failure"]


def status_failure(status: int) -> NotDelivered | None:
    """What an HTTP status says about the request (None: a 2xx, read the answer)."""
    if status < 300:
        return None
    if status in (429, 503):
        # "too many requests" and "unavailable": the server turned the request away without handling it
        return NotDelivered(f"HTTP {status}")
    if status >= 500:
        # a gateway answers 502 or 504 when the platform behind it failed or was slow, maybe after it
        # took the message; a 500 may come after the message was stored: we cannot tell
        return NotDelivered(f"HTTP {status}", maybe_received=True)
    return NotDelivered(f"HTTP {status}", refused=True)


class _NotOurs(Exception):
    """`leaving` said the request must not go (nothing of it written)."""


async def post_once(client: httpx.AsyncClient, url: str, *, params: dict[str, str] | None, body: Any,
                    timeout: float, timer: Sleep, leaving: Callable[[], bool] | None = None) -> httpx.Response:
    """One POST of `body` as JSON, waiting at most `timeout` seconds of `timer` for the answer; a
    non-2xx status or no answer raises NotDelivered. httpx's own trace of the request tells whether
    its last byte had been written when it failed. `leaving` is called on a connection, right before the
    request's first byte is written, with no wait between (the outbox's WireNote, common/wire.py): False stops
    the request there (NotDelivered, nothing sent)."""
    written = False

    async def trace(event: str, info: dict[str, Any]) -> None:
        nonlocal written
        if event.endswith("send_request_headers.started") and leaving is not None and not leaving():
            raise _NotOurs
        if event.endswith("send_request_body.complete"):
            written = True

    request = asyncio.ensure_future(client.post(url, params=params, json=body, extensions={"trace": trace}))
    try:
        answered = await within(request, timeout, timer)
    except httpx.HTTPError as exc:  # its text may hold the URL (and a key in it): the type only
        raise NotDelivered(f"network error {type(exc).__name__}", maybe_received=written) from None
    except _NotOurs:
        raise NotDelivered("no longer this sender's to send (its claim lapsed)") from None
    if not answered:
        raise NotDelivered(f"no answer within {timeout:g} s", maybe_received=written)
    response = request.result()
    failure = status_failure(response.status_code)
    if failure is not None:
        raise failure
    return response


def requests_failure(exc: requests.RequestException) -> NotDelivered:
    """The same reading for the blocking `requests` (wechatpy's HTTP, DingTalk's OpenAPI): it has no
    trace, so a connection is "never made" only when urllib3 says so (refused, DNS, connect
    timeout, TLS handshake); a connection that broke later may have carried the whole request."""
    what = type(exc).__name__  # never str(exc): its URL may carry a token
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return status_failure(exc.response.status_code) or NotDelivered(what, maybe_received=True)
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.ConnectTimeout) or isinstance(reason, (NewConnectionError, ConnectTimeoutError,
                                                                           TLSError)):
        return NotDelivered(what)
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return NotDelivered(what, maybe_received=True)
    return NotDelivered(what, refused=True)  # a bad URL or the like: nothing was sent, and never will be


def api_failure(what: str, *, errcode: int | None, status: int | None, busy: Collection[int]) -> NotDelivered:
    """An API's error answer (wechatpy's WeChatClientException: an errcode, or an HTTP status when
    errcode is None): an errcode in `busy` (系统繁忙, rate limits) was turned away, any other refused."""
    if errcode is None:
        return (status_failure(status) if status is not None else None) or NotDelivered(what, maybe_received=True)
    return NotDelivered(what, refused=errcode not in busy)
