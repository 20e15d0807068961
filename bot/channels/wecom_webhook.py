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
import hashlib
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.channels.text_split import cut_bytes

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


class _Retry(Exception):
    """A failure worth another attempt."""


@dataclass
class _Item:
    body: dict[str, Any]
    what: str  # "text 1/2" for the log, never the content


@dataclass
class _Lane:
    """One webhook key: its queue, its sender task and the times of its recent requests."""
    key: str
    label: str
    queue: asyncio.Queue[_Item] = field(default_factory=asyncio.Queue)
    sent: deque[float] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    busy: bool = False  # a message taken from the queue is being delivered


def fingerprint(key: str) -> str:
    return "key#" + hashlib.sha256(key.encode()).hexdigest()[:6]


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


class WeComWebhook:
    """`send_text` / `send_markdown` / `send_news` queue and return at once (call them on the
    service's loop); `start()` runs the senders, `stop()` flushes what is queued, with a timeout.

    `clock`, `sleep` and `transport` are for tests: a fake clock whose sleep moves it on tests
    the 20-a-minute window without waiting."""

    def __init__(self, *, api_base_url: str = "https://qyapi.weixin.qq.com", per_minute: int = PER_MINUTE,
                 window: float = 60.0, attempts: int = 8, backoff_max: float = 60.0, timeout: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._url = api_base_url.rstrip("/") + "/cgi-bin/webhook/send"
        self._per_minute, self._window = per_minute, window
        self._attempts, self._backoff_max, self._timeout = attempts, backoff_max, timeout
        self._clock, self._sleep, self._transport = clock, sleep, transport
        self._lanes: dict[str, _Lane] = {}
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = False
        _mask_httpx_log()

    # ----- lifecycle -----

    async def start(self) -> None:
        if self._running:
            return
        self._loop = asyncio.get_running_loop()
        self._client = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
        self._running = True
        for lane in self._lanes.values():
            self._spawn(lane)

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
        left = 0
        for lane in self._lanes.values():
            left += lane.queue.qsize() + lane.busy
            if lane.task is not None:
                lane.task.cancel()
                try:
                    await lane.task
                except asyncio.CancelledError:
                    pass
                lane.task = None
        if left:
            log.warning("webhook: stopped with %d message(s) not sent", left)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def drain(self) -> None:
        """Wait until every queue is empty and its last message delivered or dropped."""
        if not self._running:
            return
        for lane in list(self._lanes.values()):
            await lane.queue.join()

    # ----- sending -----

    def send_text(self, key: str, text: str, mentions: Sequence[str] = (), *, label: str = "") -> None:
        """Plain text in pieces of ≤ 2,048 bytes; `mentions` (user ids, "@all") on the first piece."""
        pieces = split_utf8(text, TEXT_BYTES)
        for i, piece in enumerate(pieces):
            body: dict[str, Any] = {"content": piece}
            if mentions and i == 0:
                body["mentioned_list"] = list(mentions)
            self._enqueue(key, label, _Item({"msgtype": "text", "text": body}, f"text {i + 1}/{len(pieces)}"))

    def send_markdown(self, key: str, text: str, *, label: str = "") -> None:
        """Markdown in pieces of ≤ 4,096 bytes (mention someone with `<@userid>` in the text)."""
        pieces = split_utf8(text, MARKDOWN_BYTES)
        for i, piece in enumerate(pieces):
            self._enqueue(key, label, _Item({"msgtype": "markdown", "markdown": {"content": piece}},
                                            f"markdown {i + 1}/{len(pieces)}"))

    def send_news(self, key: str, articles: Sequence[dict[str, str]], *, label: str = "") -> None:
        """News cards ({"title", "description", "url", "picurl"}), 8 to a message."""
        batches = [list(articles[i:i + NEWS_ARTICLES]) for i in range(0, len(articles), NEWS_ARTICLES)]
        for i, batch in enumerate(batches):
            self._enqueue(key, label, _Item({"msgtype": "news", "news": {"articles": batch}},
                                            f"news {i + 1}/{len(batches)}"))

    def pending(self) -> int:
        return sum(lane.queue.qsize() for lane in self._lanes.values())

    def _enqueue(self, key: str, label: str, item: _Item) -> None:
        if not key:
            raise ValueError("webhook key is empty")
        loop = self._loop
        if loop is not None and loop.is_running() and not _on_loop(loop):
            loop.call_soon_threadsafe(self._enqueue_here, key, label, item)  # a caller on another thread
        else:
            self._enqueue_here(key, label, item)

    def _enqueue_here(self, key: str, label: str, item: _Item) -> None:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(key, label or fingerprint(key))
        elif label and lane.label != label:
            lane.label = label
        lane.queue.put_nowait(item)
        if self._running and lane.task is None:
            self._spawn(lane)

    def _spawn(self, lane: _Lane) -> None:
        lane.task = asyncio.get_running_loop().create_task(self._run(lane), name=f"webhook {lane.label}")

    async def _run(self, lane: _Lane) -> None:
        while True:
            item = await lane.queue.get()
            lane.busy = True
            try:
                await self._deliver(lane, item)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not stop the lane
                log.exception("webhook %s: sending %s failed", lane.label, item.what)
            finally:
                lane.busy = False
                lane.queue.task_done()

    async def _deliver(self, lane: _Lane, item: _Item) -> None:
        retrying = AsyncRetrying(stop=stop_after_attempt(self._attempts),
                                 wait=wait_exponential(multiplier=2, min=2, max=self._backoff_max),
                                 retry=retry_if_exception_type(_Retry), sleep=self._sleep, reraise=False)
        try:
            async for attempt in retrying:
                with attempt:
                    await self._attempt(lane, item)
        except RetryError as exc:
            reason = exc.last_attempt.exception()
            log.error("webhook %s: %s dropped after %d attempts (%s)", lane.label, item.what, self._attempts, reason)

    async def _attempt(self, lane: _Lane, item: _Item) -> None:
        """One request; returns when delivered or dropped, raises _Retry when worth another try."""
        await self._acquire(lane)
        assert self._client is not None
        try:
            response = await self._client.post(self._url, params={"key": lane.key}, json=item.body)
        except httpx.TransportError as exc:  # its text may hold the URL: the type only
            raise _Retry(f"network error {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            log.error("webhook %s: %s dropped: HTTP %d", lane.label, item.what, response.status_code)
            return
        try:
            errcode = int(response.json().get("errcode", 0))
            errmsg = str(response.json().get("errmsg", ""))[:100]
        except (ValueError, AttributeError, TypeError):
            raise _Retry("unreadable response") from None
        if errcode == 0:
            return
        if errcode in RETRY_ERRCODES:
            raise _Retry(f"errcode {errcode} ({EXPLAINED[errcode]})")
        why = EXPLAINED.get(errcode, errmsg.split(",")[0])  # errmsg's tail is a hint URL
        log.error("webhook %s: %s dropped: errcode %d (%s)", lane.label, item.what, errcode, why)

    async def _acquire(self, lane: _Lane) -> None:
        """Wait for room in the key's sliding window (every request counts, retries too)."""
        while True:
            now = self._clock()
            while lane.sent and now - lane.sent[0] >= self._window:
                lane.sent.popleft()
            if len(lane.sent) < self._per_minute:
                lane.sent.append(now)
                return
            await self._sleep(lane.sent[0] + self._window - now)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
