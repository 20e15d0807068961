"""The WeCom self-built app's active sends: `message/send`, for what does not go back as the
passive reply (extra replies, a reply that took too long, timer-driven pushes).

One task sends in order and calls wechatpy's blocking client in a thread. It alone retries
(common/retries.py): what WeCom certainly did not take (a connection never made, 429, 503, 系统繁忙,
its rate limits) with backoff; what may have reached it (a timeout or a broken connection after
the request went, another 5xx) once more after a pause. At stop, what is queued is sent for a
while, then given up (counted in the log)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.channels.base import NotDelivered
from bot.channels.common.aio import Sleep, cancel
from bot.channels.common.attempts import api_failure, requests_failure
from bot.channels.common.retries import Retries, keep_trying

__all__ = ["AppSender", "ApiClient"]

log = logging.getLogger(__name__)

_STOP = object()


_BUSY = (-1, 45009, 45033)  # 系统繁忙 and the rate limits: WeCom turned the request away


def _failure(exc: requests.RequestException | WeChatClientException) -> NotDelivered:
    if isinstance(exc, requests.RequestException):
        return requests_failure(exc)
    return api_failure(_describe(exc), errcode=exc.errcode, busy=_BUSY,
                       status=exc.response.status_code if exc.response is not None else None)


def _describe(exc: BaseException) -> str:
    """An error for the log. Never str() of a requests error: its URL carries the secret or token."""
    if isinstance(exc, NotDelivered):
        return str(exc)
    if isinstance(exc, WeChatClientException):
        if exc.errcode is None:
            return f"HTTP {exc.response.status_code if exc.response is not None else '?'}"
        return f"errcode {exc.errcode} {str(exc.errmsg or '')[:80]}".strip()
    return type(exc).__name__


class ApiClient(WeChatClient):
    """wechatpy's client on `api_base_url` for every call, the token included (wechatpy hard-codes
    the gettoken URL and fetches it without a timeout)."""

    def __init__(self, corp_id: str, secret: str, *, api_base_url: str, timeout: float) -> None:
        super().__init__(corp_id, secret, timeout=timeout)
        self.API_BASE_URL = api_base_url.rstrip("/") + "/cgi-bin/"

    def fetch_access_token(self) -> dict[str, Any]:
        try:
            res = self._http.get(self.API_BASE_URL + "gettoken", params={"corpid": self.corp_id,
                                                                          "corpsecret": self.secret},
                                 timeout=self.timeout)
            res.raise_for_status()
        except requests.RequestException as exc:  # no token, no message: whatever became of this request
            raise NotDelivered(f"gettoken: {requests_failure(exc)}") from None
        result = res.json()
        if result.get("errcode", 0) != 0 or not result.get("access_token"):
            raise WeChatClientException(result.get("errcode", -1), result.get("errmsg", ""), client=self,
                                        request=res.request, response=res)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result


@dataclass(frozen=True)
class _Send:
    user: str
    text: str
    markdown: bool
    label: str  # for the log: the message key or a short prefix


class AppSender:
    """`send` queues private messages for `message/send` by the app `agent_id`; `start` runs the
    sender task, `stop` sends what is queued for up to `drain_timeout` seconds."""

    def __init__(self, *, client: ApiClient, agent_id: int, name: str, attempts: int = 4,
                 backoff: tuple[float, float] = (1.0, 30.0), pause: float = 30.0, drain_timeout: float = 5.0,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.name = name
        self._client, self._agent_id = client, agent_id
        self._retries = Retries(attempts=attempts, first=backoff[0], most=backoff[1], pause=pause)
        self._drain_timeout, self._sleep = drain_timeout, sleep
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=10_000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._worker is None:
            self._loop = asyncio.get_running_loop()
            self._worker = asyncio.create_task(self._run(), name=f"{self.name}-app-sender")

    async def stop(self) -> None:
        """Send what is queued for up to `drain_timeout` seconds, then give up on the rest."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        self._queue.put_nowait(_STOP)
        try:
            await asyncio.wait_for(asyncio.shield(worker), self._drain_timeout)
        except TimeoutError:
            await cancel(worker)
            log.warning("wecom app: stopped with %d message(s) unsent", self._queue.qsize())

    def send(self, user: str, pieces: list[str], *, markdown: bool, label: str) -> None:
        """Queue the pieces of one message to `user`; the sender task delivers them. Never blocks."""
        items = [_Send(user, piece, markdown, label) for piece in pieces]
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for item in items:
            if self._loop is not None and running is not self._loop:  # called from another thread
                self._loop.call_soon_threadsafe(self._enqueue, item)
            else:
                self._enqueue(item)

    def _enqueue(self, item: _Send) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            log.error("wecom app: send queue full; message to %s dropped: %s", item.user, item.label)

    async def _run(self) -> None:
        while (item := await self._queue.get()) is not _STOP:
            try:
                await self._deliver(item)
            except Exception as exc:  # one failed message must not stop the others
                log.error("wecom app: message to %s not sent (%s): %s", item.user, _describe(exc), item.label)

    async def _deliver(self, item: _Send) -> None:
        async def once() -> None:
            try:
                await asyncio.to_thread(self._post, item)
            except (requests.RequestException, WeChatClientException) as exc:
                raise _failure(exc) from None

        def retrying(failure: NotDelivered, tries: int, wait: float) -> None:
            maybe = " and may have reached them" if failure.maybe_received else ""
            log.warning("wecom app: sending to %s failed%s (%s), try %d; retrying in %.1f s", item.user, maybe,
                        failure, tries, wait)

        await keep_trying(once, self._retries, self._sleep, retrying)

    def _post(self, item: _Send) -> None:
        """On a worker thread: wechatpy's client is blocking (requests)."""
        if item.markdown:
            result = self._client.message.send_markdown(self._agent_id, item.user, item.text)
        else:
            result = self._client.message.send_text(self._agent_id, item.user, item.text)
        if isinstance(result, dict) and result.get("invaliduser"):
            log.warning("wecom app: %s is not in the app's visible range; message dropped by WeCom", item.user)
