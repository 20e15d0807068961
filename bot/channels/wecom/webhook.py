"""The WeCom group robot's 消息推送 webhook: send-only pushes to one group per key.

`POST {api_base_url}/cgi-bin/webhook/send?key=KEY` with text (≤ 2,048 bytes), markdown
(≤ 4,096 bytes) or news (1–8 articles). WeCom allows 20 messages a minute per key, so every key
has its own queue and sender task with a sliding-window limit: a burst waits, it is never
dropped. errcode 45009 (rate limit), -1 (busy), 429, 503 and a connection never made are tried
again with backoff; a timeout or a dropped connection after the request was sent, or another
5xx, once more after a pause (WeCom may have shown it already); 93000 (invalid key, or the robot
was removed from the group) and other errors are logged once and the message dropped. The
outbox's pushes get one request per piece: the outbox tries again (common/retries.py).

The key is a secret: it is never logged (a group label or a short fingerprint is), and httpx's
own request log line has it masked."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import SecretStr

from bot.channels.common.aio import Clock, Sleep
from bot.channels.common.masking import mask_in_log
from bot.channels.common.private_notes import dropped
from bot.channels.common.retries import Taken
from bot.channels.common.send_lanes import GROUP_PER_MINUTE
from bot.channels.common.split import split_text
from bot.channels.common.webhook_lanes import Item, Lane, WebhookLanes, confirm
from bot.messages import Chat, Outgoing, Priority

__all__ = ["WeComWebhook", "GroupWebhooks", "TEXT_BYTES", "MARKDOWN_BYTES", "NEWS_ARTICLES", "PER_MINUTE"]

log = logging.getLogger(__name__)

TEXT_BYTES = 2048
MARKDOWN_BYTES = 4096
NEWS_ARTICLES = 8
PER_MINUTE = GROUP_PER_MINUTE
RETRY_ERRCODES = {-1, 45009}  # system busy, rate limit
EXPLAINED = {93000: "invalid webhook key, or the robot was removed from the group",
             45009: "rate limit", -1: "WeCom busy"}


class WeComWebhook(WebhookLanes):
    """`send_text` / `send_markdown` / `send_news` queue and return at once (call them on the
    service's loop); `start()` runs the senders, `stop()` flushes what is queued, with a timeout.

    `clock`, `sleep`, `timer` and `transport` are for tests: a fake clock whose sleep moves it on
    tests the 20-a-minute window without waiting."""

    retry_errcodes = frozenset(RETRY_ERRCODES)
    explained = EXPLAINED
    name = "webhook"
    key_prefix = "key"

    def __init__(self, *, api_base_url: str = "https://qyapi.weixin.qq.com", per_minute: int = PER_MINUTE,
                 window: float = 60.0, attempts: int = 8, backoff_max: float = 60.0, timeout: float = 10.0,
                 pause: float = 30.0, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
                 timer: Sleep = asyncio.sleep, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(log=log, per_minute=per_minute, window=window, attempts=attempts, backoff_max=backoff_max,
                         timeout=timeout, pause=pause, clock=clock, sleep=sleep, timer=timer, transport=transport)
        self._url = api_base_url.rstrip("/") + "/cgi-bin/webhook/send"
        mask_in_log("key")

    def _request(self, lane: Lane) -> tuple[str, dict[str, str]]:
        return self._url, {"key": lane.key}

    # ----- sending -----

    def send_text(self, key: str, text: str, mentions: Sequence[str] = (), *, label: str = "",
                  priority: Priority = Priority.REPLY) -> None:
        """Plain text in pieces of ≤ 2,048 bytes; `mentions` (user ids, "@all") on the first piece."""
        pieces = split_text(text, TEXT_BYTES)
        for i, piece in enumerate(pieces):
            body: dict[str, Any] = {"content": piece}
            if mentions and i == 0:
                body["mentioned_list"] = list(mentions)
            self._enqueue(key, label, Item({"msgtype": "text", "text": body}, f"text {i + 1}/{len(pieces)}",
                                           priority=priority))

    def send_markdown(self, key: str, text: str, *, label: str = "", confirmed: bool = False,
                      priority: Priority = Priority.REPLY) -> list[asyncio.Future[None]]:
        """Markdown in pieces of ≤ 4,096 bytes (mention someone with `<@userid>` in the text).
        `confirmed` (on the loop): futures resolved when each piece is delivered, failed when dropped."""
        pieces = split_text(text, MARKDOWN_BYTES)
        items = [Item({"msgtype": "markdown", "markdown": {"content": piece}}, f"markdown {i + 1}/{len(pieces)}",
                      priority=priority) for i, piece in enumerate(pieces)]
        futures = confirm(items) if confirmed else []
        for item in items:
            self._enqueue(key, label, item)
        return futures

    def send_news(self, key: str, articles: Sequence[dict[str, str]], *, label: str = "",
                  priority: Priority = Priority.REPLY) -> None:
        """News cards ({"title", "description", "url", "picurl"}), 8 to a message."""
        batches = [list(articles[i:i + NEWS_ARTICLES]) for i in range(0, len(articles), NEWS_ARTICLES)]
        for i, batch in enumerate(batches):
            self._enqueue(key, label, Item({"msgtype": "news", "news": {"articles": batch}},
                                            f"news {i + 1}/{len(batches)}", priority=priority))


class GroupWebhooks:
    """The groups' webhooks (`wecom.webhooks`: a key by group name or chat id) as a part of the
    WeCom channel: how a group is reached when no robot speaks in it, and how the outbox's pushes
    to such a group are confirmed."""

    def __init__(self, *, webhook: WeComWebhook, keys: dict[str, SecretStr]) -> None:
        self._webhook, self._keys = webhook, keys
        self._taken = Taken()

    def key_for(self, chat: Chat) -> str | None:
        if not chat.is_group:
            return None
        secret = self._keys.get(chat.name) or self._keys.get(chat.chat_id)
        return secret.get_secret_value() if secret is not None else None

    def push(self, chat: Chat, markdown: str, *, confirmed: bool = False,
             priority: Priority = Priority.REPLY) -> list[asyncio.Future[None]]:
        """Queue `markdown` for the group's webhook (the caller found its key with `key_for`), in
        its lane by `priority`."""
        key = self.key_for(chat)
        assert key is not None
        return self._webhook.send_markdown(key, markdown, label=chat.name or chat.chat_id, confirmed=confirmed,
                                           priority=priority)

    def router(self) -> None:
        return None  # send-only: WeCom never calls a webhook back

    async def start(self) -> None:
        await self._webhook.start()  # idempotent: the callback robot, which pushes through it, starts it too

    async def stop(self) -> None:
        await self._webhook.stop()

    def send(self, message: Outgoing) -> None:
        if not dropped(message, "wecom webhook") and self._has_key(message):  # a note for one member: not here
            self.push(message.chat, message.text, priority=message.priority)

    async def deliver(self, message: Outgoing) -> None:
        """Returns once WeCom took every piece; raises `NotDelivered` at the first it did not take (one
        request each: the outbox tries again, and then only the pieces not taken yet)."""
        if dropped(message, "wecom webhook") or not self._has_key(message):
            return

        async def one(piece: str) -> None:
            await asyncio.gather(*self.push(message.chat, piece, confirmed=True, priority=message.priority))

        await self._taken.each(message, split_text(message.text, MARKDOWN_BYTES), one)

    def notes_wire(self, message: Outgoing) -> bool:
        """The outbox's WireNote is called by the lane, right before the first request (common/wire.py)."""
        return self.key_for(message.chat) is not None

    def _has_key(self, message: Outgoing) -> bool:
        if self.key_for(message.chat) is None:  # retrying would not help: said in the log, not raised
            log.error("wecom: no webhook configured for group %s", message.chat.name or message.chat.chat_id)
            return False
        return True
