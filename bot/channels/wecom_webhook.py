"""The WeCom group robot's 消息推送 webhook: send-only pushes to one group per key.

`POST {api_base_url}/cgi-bin/webhook/send?key=KEY` with text (≤ 2,048 bytes), markdown
(≤ 4,096 bytes) or news (1–8 articles). WeCom allows 20 messages a minute per key, so every key
has its own queue and sender task with a sliding-window limit: a burst waits, it is never
dropped. errcode 45009 (rate limit), -1 (busy), 5xx and network errors are retried with
backoff; 93000 (invalid key, or the robot was removed from the group) and other errors are
logged once and the message dropped.

The key is a secret: it is never logged (a group label or a short fingerprint is), and httpx's
own request log line has it masked."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from bot.channels.text_split import cut_bytes
from bot.channels.webhook_lanes import Item, Lane, WebhookLanes, confirm
from bot.channels.webhook_lanes import fingerprint as lane_fingerprint

__all__ = ["WeComWebhook", "split_utf8", "TEXT_BYTES", "MARKDOWN_BYTES", "NEWS_ARTICLES", "PER_MINUTE"]

log = logging.getLogger(__name__)

TEXT_BYTES = 2048
MARKDOWN_BYTES = 4096
NEWS_ARTICLES = 8
PER_MINUTE = 20
RETRY_ERRCODES = {-1, 45009}  # system busy, rate limit
EXPLAINED = {93000: "invalid webhook key, or the robot was removed from the group",
             45009: "rate limit", -1: "WeCom busy"}


def split_utf8(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at a line break where possible (the break
    itself is dropped), never inside a character."""
    data = text.encode()
    if len(data) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest.encode()) > limit:
        head = cut_bytes(rest, limit)  # whole characters only
        cut = head.rfind("\n")
        if cut > 0:
            head = head[: cut + 1]
        pieces.append(head)
        rest = rest[len(head):]
    if rest:
        pieces.append(rest)
    return [p.rstrip("\n") or p for p in pieces]


def fingerprint(key: str) -> str:
    return lane_fingerprint("key", key)


class _MaskKey(logging.Filter):
    """httpx logs each request's URL at INFO: mask the webhook key in it."""
    _pattern = re.compile(r"([?&]key=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("key=" in str(a) for a in record.args):
            record.args = tuple(self._pattern.sub(r"\1***", str(a)) if "key=" in str(a) else a for a in record.args)
        return True


_mask_lock = threading.Lock()


def _mask_httpx_log() -> None:
    with _mask_lock:
        logger = logging.getLogger("httpx")
        if not any(isinstance(f, _MaskKey) for f in logger.filters):
            logger.addFilter(_MaskKey())


class WeComWebhook(WebhookLanes):
    """`send_text` / `send_markdown` / `send_news` queue and return at once (call them on the
    service's loop); `start()` runs the senders, `stop()` flushes what is queued, with a timeout.

    `clock`, `sleep` and `transport` are for tests: a fake clock whose sleep moves it on tests
    the 20-a-minute window without waiting."""

    retry_errcodes = frozenset(RETRY_ERRCODES)
    explained = EXPLAINED
    name = "webhook"
    key_prefix = "key"

    def __init__(self, *, api_base_url: str = "https://qyapi.weixin.qq.com", per_minute: int = PER_MINUTE,
                 window: float = 60.0, attempts: int = 8, backoff_max: float = 60.0, timeout: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(log=log, per_minute=per_minute, window=window, attempts=attempts,
                         backoff_max=backoff_max, timeout=timeout, clock=clock, sleep=sleep, transport=transport)
        self._url = api_base_url.rstrip("/") + "/cgi-bin/webhook/send"
        _mask_httpx_log()

    def _request(self, lane: Lane) -> tuple[str, dict[str, str]]:
        return self._url, {"key": lane.key}

    # ----- sending -----

    def send_text(self, key: str, text: str, mentions: Sequence[str] = (), *, label: str = "") -> None:
        """Plain text in pieces of ≤ 2,048 bytes; `mentions` (user ids, "@all") on the first piece."""
        pieces = split_utf8(text, TEXT_BYTES)
        for i, piece in enumerate(pieces):
            body: dict[str, Any] = {"content": piece}
            if mentions and i == 0:
                body["mentioned_list"] = list(mentions)
            self._enqueue(key, label, Item({"msgtype": "text", "text": body}, f"text {i + 1}/{len(pieces)}"))

    def send_markdown(self, key: str, text: str, *, label: str = "", confirmed: bool = False) -> list:
        """Markdown in pieces of ≤ 4,096 bytes (mention someone with `<@userid>` in the text).
        `confirmed` (on the loop): futures resolved when each piece is delivered, failed when dropped."""
        pieces = split_utf8(text, MARKDOWN_BYTES)
        items = [Item({"msgtype": "markdown", "markdown": {"content": piece}}, f"markdown {i + 1}/{len(pieces)}")
                 for i, piece in enumerate(pieces)]
        futures = confirm(items) if confirmed else []
        for item in items:
            self._enqueue(key, label, item)
        return futures

    def send_news(self, key: str, articles: Sequence[dict[str, str]], *, label: str = "") -> None:
        """News cards ({"title", "description", "url", "picurl"}), 8 to a message."""
        batches = [list(articles[i:i + NEWS_ARTICLES]) for i in range(0, len(articles), NEWS_ARTICLES)]
        for i, batch in enumerate(batches):
            self._enqueue(key, label, Item({"msgtype": "news", "news": {"articles": batch}},
                                            f"news {i + 1}/{len(batches)}"))
