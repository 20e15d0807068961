"""The DingTalk custom robot (自定义机器人) webhook: send-only pushes to one group per robot.

`POST {base_url}/robot/send?access_token=TOKEN[&timestamp=MS&sign=SIGN]` with text or markdown.
With 加签 (a secret), `sign` is base64(HMAC-SHA256(secret, f"{timestamp_ms}\\n{secret}")),
URL-quoted (DingTalk's documented algorithm; `sign()` below). DingTalk allows 20 messages a
minute per robot and throttles the robot for 10 minutes after that, so every access token has
its own queue and sender task with a sliding-window limit: a burst waits, it is never dropped.
errcode 130101 (sending too fast), -1 (busy), 429/5xx and network errors are retried with
backoff; 310000 (bad signature, missing keyword or IP not allowed) and other errors are logged
once and the message dropped.

The access token and the secret are secrets: neither is ever logged (a robot label or a short
fingerprint is), and httpx's own request log line has the token and signature masked."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.channels.text_split import split_at_lines

__all__ = ["DingTalkWebhook", "sign", "MARKDOWN_BYTES", "TEXT_BYTES", "PER_MINUTE"]

log = logging.getLogger(__name__)

# DingTalk documents no exact byte limit for a custom robot's markdown (its reported limits are
# around 20,000 bytes for the whole request): 5,000 bytes of UTF-8 text is a conservative choice
# that leaves room for the title and the JSON around it. Text messages use the same limit.
MARKDOWN_BYTES = 5000
TEXT_BYTES = 5000
PER_MINUTE = 20
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


def fingerprint(token: str) -> str:
    return "robot#" + hashlib.sha256(token.encode()).hexdigest()[:6]


class _Retry(Exception):
    """A failure worth another attempt."""


@dataclass
class _Item:
    body: dict[str, Any]
    what: str  # "markdown 1/2" for the log, never the content


@dataclass
class _Lane:
    """One robot (access token): its queue, its sender task and the times of its recent requests."""
    token: str
    secret: str | None
    label: str
    queue: asyncio.Queue[_Item] = field(default_factory=asyncio.Queue)
    sent: deque[float] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    busy: bool = False  # a message taken from the queue is being delivered


class _MaskToken(logging.Filter):
    """httpx logs each request's URL at INFO: mask the access token and the signature in it."""
    _pattern = re.compile(r"([?&](?:access_token|sign)=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("access_token=" in str(a) for a in record.args):
            record.args = tuple(self._pattern.sub(r"\1***", str(a)) if "access_token=" in str(a) else a
                                for a in record.args)
        return True


_mask_lock = threading.Lock()


def _mask_httpx_log() -> None:
    with _mask_lock:
        logger = logging.getLogger("httpx")
        if not any(isinstance(f, _MaskToken) for f in logger.filters):
            logger.addFilter(_MaskToken())


class DingTalkWebhook:
    """`send_text` / `send_markdown` queue and return at once (call them on the service's loop);
    `start()` runs the senders, `stop()` flushes what is queued, with a timeout.

    `clock` (seconds, wall time: it also makes the signature's timestamp), `sleep` and
    `transport` are for tests: a fake clock whose sleep moves it on tests the 20-a-minute window
    without waiting."""

    def __init__(self, *, base_url: str = "https://oapi.dingtalk.com", clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, per_minute: int = PER_MINUTE,
                 window: float = 60.0, attempts: int = 10, backoff_max: float = 120.0, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._url = base_url.rstrip("/") + "/robot/send"
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
            log.warning("dingtalk webhook: stopped with %d message(s) not sent", left)
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

    def send_markdown(self, access_token: str, secret: str | None, title: str, text: str, *,
                      label: str = "") -> None:
        """Markdown in pieces of ≤ MARKDOWN_BYTES, cut between lines; later pieces' titles say
        "(2/3)"."""
        pieces = split_at_lines(text, MARKDOWN_BYTES)
        for i, piece in enumerate(pieces):
            heading = title if len(pieces) == 1 else f"{title} ({i + 1}/{len(pieces)})"
            self._enqueue(access_token, secret, label,
                          _Item({"msgtype": "markdown", "markdown": {"title": heading, "text": piece}},
                                f"markdown {i + 1}/{len(pieces)}"))

    def send_text(self, access_token: str, secret: str | None, text: str, at_user_ids: Sequence[str] = (), *,
                  label: str = "") -> None:
        """Plain text in pieces of ≤ TEXT_BYTES; `at_user_ids` are @-mentioned on the first piece."""
        pieces = split_at_lines(text, TEXT_BYTES)
        for i, piece in enumerate(pieces):
            body: dict[str, Any] = {"msgtype": "text", "text": {"content": piece}}
            if at_user_ids and i == 0:
                body["at"] = {"atUserIds": list(at_user_ids), "isAtAll": False}
            self._enqueue(access_token, secret, label, _Item(body, f"text {i + 1}/{len(pieces)}"))

    def pending(self) -> int:
        return sum(lane.queue.qsize() for lane in self._lanes.values())

    def _enqueue(self, token: str, secret: str | None, label: str, item: _Item) -> None:
        if not token:
            raise ValueError("access token is empty")
        loop = self._loop
        if loop is not None and loop.is_running() and not _on_loop(loop):
            loop.call_soon_threadsafe(self._enqueue_here, token, secret, label, item)  # another thread
        else:
            self._enqueue_here(token, secret, label, item)

    def _enqueue_here(self, token: str, secret: str | None, label: str, item: _Item) -> None:
        lane = self._lanes.get(token)
        if lane is None:
            lane = self._lanes[token] = _Lane(token, secret or None, label or fingerprint(token))
        else:
            lane.secret = secret or None  # the latest secret wins (it may have been rotated)
            if label and lane.label != label:
                lane.label = label
        lane.queue.put_nowait(item)
        if self._running and lane.task is None:
            self._spawn(lane)

    def _spawn(self, lane: _Lane) -> None:
        lane.task = asyncio.get_running_loop().create_task(self._run(lane), name=f"dingtalk webhook {lane.label}")

    async def _run(self, lane: _Lane) -> None:
        while True:
            item = await lane.queue.get()
            lane.busy = True
            try:
                await self._deliver(lane, item)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not stop the lane
                log.exception("dingtalk webhook %s: sending %s failed", lane.label, item.what)
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
            log.error("dingtalk webhook %s: %s dropped after %d attempts (%s)",
                      lane.label, item.what, self._attempts, reason)

    def _request_url(self, lane: _Lane) -> str:
        """The send URL with its query built by hand: `sign` is already URL-quoted and must not be
        quoted again."""
        query = "access_token=" + urllib.parse.quote_plus(lane.token)
        if lane.secret:
            timestamp_ms = round(self._clock() * 1000)
            query += f"&timestamp={timestamp_ms}&sign={sign(lane.secret, timestamp_ms)}"
        return f"{self._url}?{query}"

    async def _attempt(self, lane: _Lane, item: _Item) -> None:
        """One request; returns when delivered or dropped, raises _Retry when worth another try."""
        await self._acquire(lane)
        assert self._client is not None
        try:
            response = await self._client.post(self._request_url(lane), json=item.body)
        except httpx.TransportError as exc:  # its text may hold the URL: the type only
            raise _Retry(f"network error {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            log.error("dingtalk webhook %s: %s dropped: HTTP %d", lane.label, item.what, response.status_code)
            return
        try:
            payload = response.json()
            errcode = int(payload.get("errcode", 0))
            errmsg = str(payload.get("errmsg", ""))[:100]
        except (ValueError, AttributeError, TypeError):
            raise _Retry("unreadable response") from None
        if errcode == 0:
            return
        if errcode in RETRY_ERRCODES:
            raise _Retry(f"errcode {errcode} ({EXPLAINED[errcode]})")
        why = EXPLAINED.get(errcode, errmsg.split(",")[0])
        log.error("dingtalk webhook %s: %s dropped: errcode %d (%s)", lane.label, item.what, errcode, why)

    async def _acquire(self, lane: _Lane) -> None:
        """Wait for room in the robot's sliding window (every request counts, retries too)."""
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
