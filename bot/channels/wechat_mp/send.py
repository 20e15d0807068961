"""The Official Account's customer-service messages (客服消息): what does not go back as the
passive reply (the rest of a long reply, further replies, pushes).

They are allowed within 48 h of the user's last message and at most 5 per user message: what
does not fit waits, per user, for their next message. One task sends them, the blocking
wechatpy call in a thread, and alone retries them (`retries`, common/retries.py): what WeChat
certainly did not take (a connection never made, 系统繁忙) after short waits, what may have reached
the user (a timeout or a broken connection after the request went, a 5xx) once more after a pause."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.channels.base import NotDelivered
from bot.channels.common.aio import Sleep, cancel
from bot.channels.common.attempts import api_failure, requests_failure
from bot.channels.common.retries import Retries, keep_trying

__all__ = ["CustomerService", "ApiClient", "api_error", "WINDOW_SECONDS", "PER_USER_MESSAGE", "HELD_MAX"]

log = logging.getLogger(__name__)

WINDOW_SECONDS = 48 * 3600
PER_USER_MESSAGE = 5
HELD_MAX = 50  # per user; the oldest go first when someone is flooded while away
# window closed (45015) or its messages used up (45047): hold the message for the next one
_WINDOW_ERRORS = {45015, 45047}


class _TimeoutSession(requests.Session):
    """wechatpy's token fetch passes no timeout: give every request one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)


class ApiClient(WeChatClient):
    """WeChatClient on `base_url`, the token fetch included (wechatpy hard-codes its URL)."""

    def __init__(self, app_id: str, secret: str, base_url: str, timeout: float) -> None:
        super().__init__(app_id, secret, timeout=timeout)
        self.API_BASE_URL = base_url.rstrip("/") + "/cgi-bin/"
        self._http = _TimeoutSession(timeout)

    def fetch_access_token(self) -> dict[str, Any]:
        try:
            return self._fetch_access_token(url=self.API_BASE_URL + "token",
                                            params={"grant_type": "client_credential", "appid": self.appid,
                                                    "secret": self.secret})
        except requests.RequestException as exc:  # no token, no message: whatever became of this request
            raise NotDelivered(f"token: {requests_failure(exc)}") from None
        except WeChatClientException as exc:
            if exc.errcode is not None:  # WeChat refused the credentials
                raise
            raise NotDelivered(f"token: HTTP {exc.response.status_code if exc.response is not None else '?'}") from None


def _describe(exc: BaseException) -> str:
    """An error for the log: exception URLs carry the secret or the access token, so never str(exc)."""
    if isinstance(exc, WeChatClientException) and exc.errcode is not None:
        return f"errcode {exc.errcode} ({exc.errmsg})"
    return type(exc).__name__


def api_error(exc: WeChatClientException, what: str = "") -> NotDelivered:
    """WeChat's error answer to a send, as the outbox and the retries read it (系统繁忙 was turned away, another
    errcode refused, an HTTP failure may have reached it); `what` names the send in the message."""
    return api_failure(f"{what}{_describe(exc)}", errcode=exc.errcode, busy=(-1,),
                       status=exc.response.status_code if exc.response is not None else None)


@dataclass
class _User:
    window_until: float = 0.0
    quota: int = 0
    held: deque[str] = field(default_factory=deque)
    warned: bool = False


class CustomerService:
    """Customer-service messages of the channel `name` through `client`; `now` is the wall clock
    the 48 h windows are kept on, `sleep` what waits between tries."""

    # short waits: one task sends to every user, and a user waits for their reply
    retries = Retries(attempts=4, first=0.5, most=2.0, pause=30.0)

    def __init__(self, *, name: str, client: ApiClient, now: Callable[[], float], sleep: Sleep) -> None:
        self.name = name
        self._client, self._now, self._sleep = client, now, sleep
        self._users: dict[str, _User] = {}
        self._dirty: dict[str, None] = {}  # users with held messages to try, in order
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._worker = asyncio.create_task(self._send_loop(), name=f"{self.name}-send")
        if self._dirty:
            self._wake.set()

    async def stop(self) -> None:
        await cancel(self._worker)
        self._worker = None
        held = sum(len(user.held) for user in self._users.values())
        if held:
            log.warning("%s: %d customer-service message(s) still held at stop are dropped", self.name, held)

    def _user(self, openid: str) -> _User:
        return self._users.setdefault(openid, _User())

    def hold(self, openid: str, parts: list[str]) -> None:
        """Queue `parts` for `openid`: sent when their window allows."""
        if not parts:
            return
        user = self._user(openid)
        user.held.extend(parts)
        while len(user.held) > HELD_MAX:
            user.held.popleft()
            log.warning("%s: more than %d messages held for %s; the oldest dropped", self.name, HELD_MAX, openid)
        self._kick(openid)

    def _kick(self, openid: str) -> None:
        self._dirty[openid] = None
        if self._wake is not None:
            self._wake.set()

    def opened(self, openid: str) -> None:
        """The user wrote (or subscribed): a fresh 48 h window with 5 messages."""
        user = self._user(openid)
        user.window_until = self._now() + WINDOW_SECONDS
        user.quota, user.warned = PER_USER_MESSAGE, False
        if user.held:
            self._kick(openid)

    async def _send_loop(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._dirty:
                openid = next(iter(self._dirty))
                del self._dirty[openid]
                try:
                    await self._flush(openid)
                except asyncio.CancelledError:
                    raise
                except Exception:  # one user's trouble must not stop the others
                    log.exception("%s: sending to %s failed", self.name, openid)

    async def _flush(self, openid: str) -> None:
        """Send what was held for `openid` when their turn came; what comes meanwhile waits for their next
        turn, behind the others already waiting (one busy follower must not hold up the rest)."""
        user = self._user(openid)
        for _ in range(len(user.held)):
            if user.quota <= 0 or self._now() >= user.window_until:
                if not user.warned:
                    log.warning("%s: %d message(s) for %s held until they write again (48 h window, %d per "
                                "message)", self.name, len(user.held), openid, PER_USER_MESSAGE)
                    user.warned = True
                return
            part = user.held[0]
            user.quota -= 1
            outcome = await self._deliver(openid, part)
            if outcome == "held":
                user.quota = 0
                continue
            user.held.popleft()
        if user.held:
            self._kick(openid)

    async def _deliver(self, openid: str, text: str) -> str:
        """"sent", "held" (the window is closed after all) or "dropped"."""
        async def once() -> None:
            try:
                await asyncio.to_thread(self._client.message.send_text, openid, text)
            except WeChatClientException as exc:
                if exc.errcode in _WINDOW_ERRORS:
                    raise _Held(_describe(exc)) from None
                raise api_error(exc) from None
            except requests.RequestException as exc:  # the URL in its text holds the token: only the type
                raise requests_failure(exc) from None

        def retrying(failure: NotDelivered, tries: int, wait: float) -> None:
            if failure.maybe_received:
                log.warning("%s: customer-service message to %s may have reached them (%s); once more in %.0f s",
                            self.name, openid, failure, wait)

        try:
            await keep_trying(once, self.retries, self._sleep, retrying)
        except _Held as held:
            log.info("%s: WeChat closed the window for %s (%s); message held", self.name, openid, held)
            return "held"
        except NotDelivered as failure:
            log.error("%s: customer-service message to %s not sent: %s; dropped", self.name, openid, failure)
            return "dropped"
        return "sent"


class _Held(Exception):
    """WeChat closed the user's window (45015, 45047): the message waits for their next one."""
