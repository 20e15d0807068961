"""The WeChat Official Account (微信公众号) channel: callbacks on /wechat/mp, passive replies,
customer-service messages for the rest.

WeChat waits 5 s for the passive reply, retries twice with the same MsgId, and takes one reply of
at most 2,048 bytes. Everything else (the rest of a long reply, further replies, pushes) goes out
as customer-service messages, allowed within 48 h of the user's last message and at most 5 per
user message: what does not fit waits, per user, for their next message."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import xmltodict
from fastapi import APIRouter, Request, Response
from wechatpy import parse_message
from wechatpy.client import WeChatClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import WeChatClientException
from wechatpy.replies import TextReply

from bot.app import App
from bot.messages import Chat, Incoming, Outgoing, Sender
from bot.settings import WeChatMPSettings

__all__ = ["WeChatMP", "split_text", "render_text", "WELCOME", "PATH"]

log = logging.getLogger(__name__)

PATH = "/wechat/mp"
MAX_BODY = 64 * 1024
PART_BYTES = 2048
WINDOW_SECONDS = 48 * 3600
PER_USER_MESSAGE = 5
REPLY_CACHE_SECONDS = 300  # WeChat's three tries span about 15 s
HELD_MAX = 50  # per user; the oldest go first when someone is flooded while away
TIMEOUT = 10.0
WELCOME = "欢迎关注！发送「帮助」查看命令。"
SUCCESS = "success"  # "success" (or an empty body) tells WeChat not to retry
# user actions that open the customer-service window (plain messages open it too)
_WINDOW_EVENTS = {"subscribe", "subscribe_scan", "scan", "click"}
# window closed (45015) or its messages used up (45047): hold the message for the next one
_WINDOW_ERRORS = {45015, 45047}
_INVALID_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def split_text(text: str, limit: int = PART_BYTES) -> list[str]:
    """`text` in parts of at most `limit` UTF-8 bytes, cut at line ends where possible."""
    parts: list[str] = []
    current, size = "", 0
    for line in text.splitlines(keepends=True):
        length = len(line.encode("utf-8"))
        if size + length <= limit:
            current, size = current + line, size + length
            continue
        if current:
            parts.append(current)
            current, size = "", 0
        if length <= limit:
            current, size = line, length
            continue
        for char in line:  # one line longer than a part: cut between characters
            width = len(char.encode("utf-8"))
            if size + width > limit:
                parts.append(current)
                current, size = "", 0
            current, size = current + char, size + width
    if current:
        parts.append(current)
    parts = [part.rstrip("\n") for part in parts]
    return [part for part in parts if part.strip()] or ([text] if text.strip() else [])


def render_text(message: Outgoing) -> str:
    """No buttons on an Official Account: choices become a line to reply with."""
    text = message.text
    if message.choices:
        text = f"{text}\n回复 {'/'.join(message.choices)}"
    return _INVALID_XML_CHARS.sub("", text)


def _sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


class _Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class _TimeoutSession(requests.Session):
    """wechatpy's token fetch passes no timeout: give every request one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)


class _Client(WeChatClient):
    """WeChatClient on `base_url`, the token fetch included (wechatpy hard-codes its URL)."""

    def __init__(self, app_id: str, secret: str, base_url: str, timeout: float) -> None:
        super().__init__(app_id, secret, timeout=timeout)
        self.API_BASE_URL = base_url.rstrip("/") + "/cgi-bin/"
        self._http = _TimeoutSession(timeout)

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(url=self.API_BASE_URL + "token",
                                        params={"grant_type": "client_credential", "appid": self.appid,
                                                "secret": self.secret})


def _describe(exc: BaseException) -> str:
    """An error for the log: exception URLs carry the secret or the access token, so never str(exc)."""
    if isinstance(exc, WeChatClientException) and exc.errcode is not None:
        return f"errcode {exc.errcode} ({exc.errmsg})"
    return type(exc).__name__


@dataclass
class _User:
    window_until: float = 0.0
    quota: int = 0
    held: deque[str] = field(default_factory=deque)
    warned: bool = False


class WeChatMP:
    """One Official Account. Callbacks run on the service loop; customer-service sends run in a
    task of their own, the blocking wechatpy call in a thread."""

    retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0)

    def __init__(self, *, app: App, settings: WeChatMPSettings, channel: str = "wechat_mp",
                 max_skew: int = 300, timeout: float = TIMEOUT, now: Callable[[], float] = time.time) -> None:
        self.name = channel
        self._app, self._max_skew, self._now = app, max_skew, now
        self._app_id = settings.app_id
        self._token = settings.token.get_secret_value()
        self._crypto: WeChatCrypto | None = None
        if settings.encoding_aes_key is not None:
            key = settings.encoding_aes_key.get_secret_value()
            try:
                valid = len(key) == 43 and len(base64.b64decode(key + "=", validate=True)) == 32
            except (binascii.Error, ValueError):
                valid = False
            if not valid:  # wechatpy only asserts it, and -O strips asserts
                raise ValueError("wechat_mp.encoding_aes_key 应为 43 位（公众号后台「消息加解密密钥」）")
            self._crypto = WeChatCrypto(self._token, key, self._app_id)
        self._client = _Client(self._app_id, settings.app_secret.get_secret_value(), settings.api_base_url, timeout)
        self._users: dict[str, _User] = {}
        self._replies: dict[str, tuple[float, str | None]] = {}  # MsgId -> (expires, passive reply text)
        self._dirty: dict[str, None] = {}  # users with held messages to try, in order
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None

    # ----- service -----

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route(PATH, self._verify, methods=["GET"])
        router.add_api_route(PATH, self._callback, methods=["POST"])
        return router

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._worker = asyncio.create_task(self._send_loop(), name=f"{self.name}-send")
        if self._dirty:
            self._wake.set()

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        held = sum(len(user.held) for user in self._users.values())
        if held:
            log.warning("%s: %d customer-service message(s) still held at stop are dropped", self.name, held)

    def send(self, message: Outgoing) -> None:
        """Queue a message for its user; the send task delivers it when WeChat allows."""
        if message.chat.is_group or not message.chat.chat_id:
            log.error("%s: an Official Account has no groups; message dropped: %.40s", self.name, message.text)
            return
        self._hold(message.chat.chat_id, split_text(render_text(message)))

    # ----- customer-service messages -----

    def _user(self, openid: str) -> _User:
        return self._users.setdefault(openid, _User())

    def _hold(self, openid: str, parts: list[str]) -> None:
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

    def _opened(self, openid: str) -> None:
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
        user = self._user(openid)
        while user.held:
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

    async def _deliver(self, openid: str, text: str) -> str:
        """"sent", "held" (the window is closed after all) or "dropped"."""
        for attempt, delay in enumerate((*self.retry_delays, None)):
            try:
                await asyncio.to_thread(self._client.message.send_text, openid, text)
                return "sent"
            except WeChatClientException as exc:
                if exc.errcode in _WINDOW_ERRORS:
                    log.info("%s: WeChat closed the window for %s (%s); message held", self.name, openid,
                             _describe(exc))
                    return "held"
                if exc.errcode not in (None, -1):  # -1: system busy; None: HTTP error
                    log.error("%s: customer-service message to %s refused: %s; dropped", self.name, openid,
                              _describe(exc))
                    return "dropped"
                error = exc
            except Exception as exc:  # network: the URL in the message holds the token, so only the type
                error = exc
            if delay is None:
                log.error("%s: customer-service message to %s failed %d times (%s); dropped", self.name, openid,
                          attempt + 1, _describe(error))
                return "dropped"
            await asyncio.sleep(delay)
        return "dropped"

    # ----- callbacks -----

    def _check_time(self, timestamp: str) -> None:
        try:
            skew = abs(self._now() - int(timestamp))
        except ValueError:
            raise _Rejected(403, "timestamp missing or not a number") from None
        if skew > self._max_skew:
            raise _Rejected(403, f"stale timestamp ({skew:.0f} s off)")

    def _check_signature(self, query: dict[str, str]) -> None:
        self._check_time(query.get("timestamp", ""))
        expected = _sign(self._token, query.get("timestamp", ""), query.get("nonce", ""))
        if not _same(expected, query.get("signature", "")):
            raise _Rejected(403, "bad signature")

    def _reject(self, request: Request, error: _Rejected) -> Response:
        host = request.client.host if request.client else "?"
        log.warning("%s: callback from %s rejected (%d): %s", self.name, host, error.status, error.reason)
        return Response(status_code=error.status)

    async def _verify(self, request: Request) -> Response:
        """The URL check when the server address is saved in the WeChat admin console."""
        query = dict(request.query_params)
        try:
            self._check_signature(query)
        except _Rejected as error:
            return self._reject(request, error)
        return Response(query.get("echostr", ""), media_type="text/plain")

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise _Rejected(413, f"body of {declared} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise _Rejected(413, "body over 64 KB")
        return bytes(body)

    def _decrypt(self, body: bytes, query: dict[str, str]) -> str:
        if self._crypto is None:
            raise _Rejected(403, "encrypted callback but no encoding_aes_key configured")
        self._check_time(query.get("timestamp", ""))
        try:
            encrypt = xmltodict.parse(body)["xml"]["Encrypt"]
        except Exception:
            raise _Rejected(400, "broken XML") from None
        if not isinstance(encrypt, str):
            raise _Rejected(400, "no Encrypt element")
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if not _same(_sign(self._token, timestamp, nonce, encrypt), query.get("msg_signature", "")):
            raise _Rejected(403, "bad msg_signature")
        try:
            return self._crypto.decrypt_message({"Encrypt": encrypt}, query["msg_signature"], timestamp, nonce)
        except Exception as exc:  # wrong key: struct.error, UnicodeDecodeError, InvalidAppIdException…
            raise _Rejected(403, f"cannot decrypt ({type(exc).__name__}): wrong EncodingAESKey or AppID?") from None

    async def _callback(self, request: Request) -> Response:
        query = dict(request.query_params)
        safe = query.get("encrypt_type", "raw").lower() == "aes"
        try:
            body = await self._body(request)
            if safe:
                xml: str | bytes = self._decrypt(body, query)
            else:
                self._check_signature(query)
                xml = body
            try:
                message = parse_message(xml)
                message_id = str(message.id) if message is not None and message.type != "event" else ""
            except Exception:
                raise _Rejected(400, "broken XML") from None
            if message is None:
                raise _Rejected(400, "empty body")
        except _Rejected as error:
            return self._reject(request, error)
        text = self._answer(message, message_id)
        if text is None:
            return Response(SUCCESS, media_type="text/plain")
        reply = TextReply(message=message, content=text.replace("]]>", "]]]]><![CDATA[>")).render()
        if safe:
            assert self._crypto is not None
            reply = self._crypto.encrypt_message(reply, query.get("nonce", ""), str(int(self._now())))
        return Response(reply, media_type="application/xml")

    def _answer(self, message: Any, message_id: str) -> str | None:
        """The passive reply for one message, or None for "success"; the rest is queued."""
        openid = str(message.source or "")
        if not openid:
            return None
        if message.type == "event":
            if message.event in _WINDOW_EVENTS:
                self._opened(openid)
            return WELCOME if message.event in ("subscribe", "subscribe_scan") else None
        cached = self._cached(message_id)
        if cached is not None:  # a retry: same answer, and no fresh quota
            log.info("%s: WeChat retry of %s answered from the cache", self.name, message_id)
            return cached[1]
        self._opened(openid)
        if message.type != "text":
            self._replies[message_id] = (self._now() + REPLY_CACHE_SECONDS, None)
            return None
        chat = Chat(self.name, openid, False, "私聊")
        incoming = Incoming(chat=chat, sender=Sender(openid, openid), text=str(message.content or ""),
                            message_id=message_id, received_at=self._app.clock.now())
        passive: str | None = None
        others: list[Outgoing] = []
        for reply in self._app.handle(incoming):
            if passive is None and reply.chat == chat:
                first, *rest = split_text(render_text(reply)) or [None]
                passive = first
                self._hold(openid, rest)
            else:
                others.append(reply)
        self._replies[message_id] = (self._now() + REPLY_CACHE_SECONDS, passive)
        self._app.deliver(others)  # ours come back through send(), after the passive reply
        return passive

    def _cached(self, message_id: str) -> tuple[float, str | None] | None:
        now = self._now()
        for key in [k for k, (expires, _) in self._replies.items() if expires <= now]:
            del self._replies[key]
        return self._replies.get(message_id)
