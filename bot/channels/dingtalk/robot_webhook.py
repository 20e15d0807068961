"""The DingTalk custom robot (自定义机器人) webhook: send-only pushes to one group per robot.

`POST {base_url}/robot/send?access_token=TOKEN[&timestamp=MS&sign=SIGN]` with text or markdown.
With 加签 (a secret), `sign` is base64(HMAC-SHA256(secret, f"{timestamp_ms}\\n{secret}")),
URL-quoted (DingTalk's documented algorithm; `sign()` below). DingTalk allows 20 messages a
minute per robot and throttles the robot for 10 minutes after that, so every access token has
its own queue and sender task with a sliding-window limit: a burst waits, it is never dropped.
errcode 130101 (sending too fast), -1 (busy), 429, 503 and a connection never made are tried
again with backoff; a timeout or a dropped connection after the request was sent, or another
5xx, once more after a pause (DingTalk may have shown it already); 310000 (bad signature,
missing keyword or IP not allowed) and other errors are logged once and the message dropped.
The outbox's pushes get one request each: the outbox tries again (common/retries.py).

The access token and the secret are secrets: neither is ever logged (a robot label or a short
fingerprint is), and httpx's own request log line has the token and signature masked."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

import httpx

from bot.channels.common.aio import Clock, Sleep
from bot.channels.common.masking import mask_in_log
from bot.channels.common.send_lanes import GROUP_PER_MINUTE
from bot.channels.common.split import split_text
from bot.channels.common.webhook_lanes import Item, Lane, WebhookLanes, confirm
from bot.messages import Priority

__all__ = ["DingTalkWebhook", "sign", "MARKDOWN_BYTES", "TEXT_BYTES", "PER_MINUTE"]

log = logging.getLogger(__name__)

# DingTalk documents no exact byte limit for a custom robot's markdown (its reported limits are
# around 20,000 bytes for the whole request): 5,000 bytes of UTF-8 text is a conservative choice
# that leaves room for the title and the JSON around it. Text messages use the same limit.
MARKDOWN_BYTES = 5000
TEXT_BYTES = 5000
PER_MINUTE = GROUP_PER_MINUTE
RETRY_ERRCODES = {-1, 130101}  # system busy, sending too fast
EXPLAINED = {130101: "sending too fast", -1: "DingTalk busy",
             310000: "bad signature, missing keyword or IP not allowed",
             300001: "invalid access token", 400102: "robot disabled"}


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(secret, f"{timestamp_ms}\\n{secret}")), URL-quoted
    (quote_plus), ready to put in the query string as it is."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


class DingTalkWebhook(WebhookLanes):
    """`send_text` / `send_markdown` queue and return at once (call them on the service's loop);
    `start()` runs the senders, `stop()` flushes what is queued, with a timeout.

    `clock` (seconds, wall time: it also makes the signature's timestamp), `sleep`, `timer` (what a
    request's timeout runs on) and `transport` are for tests: a fake clock whose sleep moves it on
    tests the 20-a-minute window without waiting."""

    retry_errcodes = frozenset(RETRY_ERRCODES)
    explained = EXPLAINED
    name = "dingtalk webhook"
    key_prefix = "robot"

    def __init__(self, *, base_url: str = "https://oapi.dingtalk.com", clock: Clock = time.time,
                 sleep: Sleep = asyncio.sleep, timer: Sleep = asyncio.sleep, per_minute: int = PER_MINUTE,
                 window: float = 60.0, attempts: int = 10, backoff_max: float = 120.0, timeout: float = 10.0,
                 pause: float = 30.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(log=log, per_minute=per_minute, window=window, attempts=attempts, backoff_max=backoff_max,
                         timeout=timeout, pause=pause, clock=clock, sleep=sleep, timer=timer, transport=transport)
        self._url = base_url.rstrip("/") + "/robot/send"
        mask_in_log("access_token", "sign")

    # ----- sending -----

    def send_markdown(self, access_token: str, secret: str | None, title: str, text: str, *,
                      label: str = "", confirmed: bool = False,
                      priority: Priority = Priority.REPLY) -> list[asyncio.Future[None]]:
        """Markdown in pieces of ≤ MARKDOWN_BYTES, cut between lines; later pieces' titles say
        "(2/3)". `confirmed` (on the loop): futures resolved when each piece is delivered."""
        pieces = split_text(text, MARKDOWN_BYTES)
        items = [Item({"msgtype": "markdown", "markdown": {
            "title": title if len(pieces) == 1 else f"{title} ({i + 1}/{len(pieces)})", "text": piece}},
            f"markdown {i + 1}/{len(pieces)}", priority=priority) for i, piece in enumerate(pieces)]
        return self._queue_all(access_token, secret, label, items, confirmed)

    def send_text(self, access_token: str, secret: str | None, text: str, at_user_ids: Sequence[str] = (), *,
                  label: str = "", confirmed: bool = False,
                  priority: Priority = Priority.REPLY) -> list[asyncio.Future[None]]:
        """Plain text in pieces of ≤ TEXT_BYTES; `at_user_ids` are @-mentioned on the first piece."""
        pieces = split_text(text, TEXT_BYTES)
        items = []
        for i, piece in enumerate(pieces):
            body: dict[str, Any] = {"msgtype": "text", "text": {"content": piece}}
            if at_user_ids and i == 0:
                body["at"] = {"atUserIds": list(at_user_ids), "isAtAll": False}
            items.append(Item(body, f"text {i + 1}/{len(pieces)}", priority=priority))
        return self._queue_all(access_token, secret, label, items, confirmed)

    def _queue_all(self, access_token: str, secret: str | None, label: str, items: list[Item],
                   confirmed: bool) -> list[asyncio.Future[None]]:
        futures = confirm(items) if confirmed else []
        for item in items:
            self._enqueue(access_token, label, item, secret)
        return futures

    def _request(self, lane: Lane) -> tuple[str, None]:
        """The send URL with its query built by hand: `sign` is already URL-quoted and must not be
        quoted again."""
        query = "access_token=" + urllib.parse.quote_plus(lane.key)
        if lane.secret:
            timestamp_ms = round(self._clock() * 1000)
            query += f"&timestamp={timestamp_ms}&sign={sign(lane.secret, timestamp_ms)}"
        return f"{self._url}?{query}", None
