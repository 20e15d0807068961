"""The WeChat Official Account (微信公众号) channel: callbacks on /wechat/mp, passive replies,
customer-service messages for the rest.

WeChat waits 5 s for the passive reply, retries twice with the same MsgId, and takes one reply of
at most 2,048 bytes. Everything else (the rest of a long reply, further replies, pushes) goes out
as customer-service messages, allowed within 48 h of the user's last message and at most 5 per
user message: what does not fit waits, per user, for their next message (send.py)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import xmltodict
from fastapi import APIRouter, Request, Response
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bot.app import App
from bot.channels.common import callbacks
from bot.channels.common.aio import Sleep
from bot.channels.common.private_notes import dropped
from bot.channels.common.replays import ReplayGuard
from bot.channels.common.reply_cache import MAX_ENTRIES, TTLCache
from bot.channels.common.split import split_text
from bot.channels.wechat_mp.send import ApiClient, CustomerService
from bot.channels.wechat_mp.template import send_template
from bot.messages import Chat, Incoming, Outgoing, Sender
from bot.settings import WeChatMPSettings

__all__ = ["WeChatMP", "render_text", "WELCOME", "PATH", "PART_BYTES", "MAX_BODY"]

log = logging.getLogger(__name__)

PATH = "/wechat/mp"
MAX_BODY = 64 * 1024
PART_BYTES = 2048
REPLY_CACHE_SECONDS = 300  # WeChat's three tries span about 15 s
TIMEOUT = 10.0
WELCOME = "欢迎关注！发送「帮助」查看命令。"
SUCCESS = "success"  # "success" (or an empty body) tells WeChat not to retry
# user actions that open the customer-service window (plain messages open it too)
_WINDOW_EVENTS = {"subscribe", "subscribe_scan", "scan", "click"}
_INVALID_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_UNANSWERED = object()


def render_text(message: Outgoing) -> str:
    """No buttons on an Official Account: choices become a line to reply with."""
    text = message.text
    if message.choices:
        text = f"{text}\n回复 {'/'.join(message.choices)}"
    return _INVALID_XML_CHARS.sub("", text)


class _Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class WeChatMP:
    """One Official Account. Callbacks run on the service loop; customer-service sends run in a
    task of their own, the blocking wechatpy call in a thread. `remember`: at most this many replies
    and (timestamp, nonce) pairs are kept."""

    def __init__(self, *, app: App, settings: WeChatMPSettings, channel: str = "wechat_mp",
                 max_skew: int = 300, timeout: float = TIMEOUT, now: Callable[[], float] = time.time,
                 sleep: Sleep = asyncio.sleep, remember: int = MAX_ENTRIES) -> None:
        self.name = channel
        self._app, self._max_skew, self._now = app, max_skew, now
        self._app_id = settings.app_id
        self._token = settings.token.get_secret_value()
        self._crypto: WeChatCrypto | None = None
        self._accept_plaintext = settings.accept_plaintext
        if settings.encoding_aes_key is not None:
            key = settings.encoding_aes_key.get_secret_value()
            if not callbacks.is_aes_key(key):  # wechatpy only asserts it, and -O strips asserts
                raise ValueError("wechat_mp.encoding_aes_key 应为 43 位（公众号后台「消息加解密密钥」）")
            self._crypto = WeChatCrypto(self._token, key, self._app_id)
        client = ApiClient(self._app_id, settings.app_secret.get_secret_value(), settings.api_base_url, timeout)
        self._service = CustomerService(name=channel, client=client, now=now, sleep=sleep)
        self._client, self._template = client, settings.link_template
        self._replies: TTLCache[str | None] = TTLCache(REPLY_CACHE_SECONDS, remember, now)  # key -> passive reply
        self._guard = ReplayGuard(window=max_skew, clock=now, remember=remember)

    # ----- service -----

    def router(self) -> APIRouter:
        return callbacks.router(PATH, verify=self._verify, receive=self._callback)

    async def start(self) -> None:
        """The customer-service task: held messages go out as their members' windows open."""
        if self._crypto is None:
            log.warning("%s: no encoding_aes_key (明文模式): callbacks come in plaintext, signed without their "
                        "body; whoever intercepts one before it arrives can post as any follower with it for %d s",
                        self.name, self._max_skew)
        elif self._accept_plaintext:
            log.warning("%s: wechat_mp.accept_plaintext is on (兼容模式): plaintext callbacks are taken beside "
                        "encrypted ones, and their signature does not cover the body", self.name)
        await self._service.start()

    async def stop(self) -> None:
        """What is still held is dropped, and counted in the log."""
        await self._service.stop()

    def send(self, message: Outgoing) -> None:
        """Queue a message for its user; the send task delivers it when WeChat allows."""
        if not _shown(message):
            return
        if message.chat.is_group or not message.chat.chat_id:
            log.error("%s: an Official Account has no groups; message dropped: %.40s", self.name, message.text)
            return
        self._service.hold(message.chat.chat_id, split_text(render_text(message), PART_BYTES))

    async def deliver(self, message: Outgoing) -> None:
        """For the outbox: a push with a link goes out as the template message when one is configured, at once
        (NotDelivered when WeChat did not take it); any other is a customer-service message, which may wait for
        the member's next message: handed over to its queue."""
        if message.link and self._template is not None and not message.chat.is_group and message.chat.chat_id:
            await send_template(self._client, message.chat.chat_id, message, self._template, self._app.clock.now())
            return
        self.send(message)

    # ----- callbacks -----

    def _check_time(self, timestamp: str) -> None:
        if (stale := self._guard.stale(timestamp)) is not None:
            raise _Rejected(403, stale)

    def _check_signature(self, query: dict[str, str]) -> None:
        self._check_time(query.get("timestamp", ""))
        expected = callbacks.signature(self._token, query.get("timestamp", ""), query.get("nonce", ""))
        if not callbacks.same_signature(expected, query.get("signature", "")):
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
            # made once per save in the console: the same check again is a replay, whatever it carries
            if replayed := self._guard.replayed(query.get("timestamp", ""), query.get("nonce", ""), "URL check"):
                raise _Rejected(403, f"URL check: {replayed}")
        except _Rejected as error:
            return self._reject(request, error)
        return Response(query.get("echostr", ""), media_type="text/plain")

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
        expected = callbacks.signature(self._token, timestamp, nonce, encrypt)
        if not callbacks.same_signature(expected, query.get("msg_signature", "")):
            raise _Rejected(403, "bad msg_signature")
        try:
            return self._crypto.decrypt_message({"Encrypt": encrypt}, query["msg_signature"], timestamp, nonce)
        except Exception as exc:  # wrong key: struct.error, UnicodeDecodeError, InvalidAppIdException…
            raise _Rejected(403, f"cannot decrypt ({type(exc).__name__}): wrong EncodingAESKey or AppID?") from None

    async def _callback(self, request: Request) -> Response:
        query = dict(request.query_params)
        safe = query.get("encrypt_type", "raw").lower() == "aes"
        try:
            try:
                body = await callbacks.read_body(request, MAX_BODY)
            except callbacks.BodyTooLarge as error:
                reason = "body over 64 KB" if error.declared is None else f"body of {error.declared} bytes"
                raise _Rejected(413, reason) from None
            if safe:
                xml: str | bytes = self._decrypt(body, query)
            else:
                if self._crypto is not None and not self._accept_plaintext:
                    raise _Rejected(403, "plaintext callback in safe mode: its signature does not cover the body "
                                         "(wechat_mp.accept_plaintext is off)")
                self._check_signature(query)
                xml = body
            try:
                message = parse_message(xml)
            except Exception:
                raise _Rejected(400, "broken XML") from None
            if message is None:
                raise _Rejected(400, "empty body")
            key = _key(message)
            kept = self._replies.get(key, _UNANSWERED) is not _UNANSWERED  # a retry is answered from it
            if replayed := self._guard.replayed(query.get("timestamp", ""), query.get("nonce", ""), xml, kept=kept):
                raise _Rejected(403, replayed)
        except _Rejected as error:
            return self._reject(request, error)
        text = await self._answer(message, key)
        if text is None:
            return Response(SUCCESS, media_type="text/plain")
        reply = TextReply(message=message, content=callbacks.cdata_safe(text)).render()
        if safe:
            assert self._crypto is not None
            reply = self._crypto.encrypt_message(reply, query.get("nonce", ""), str(int(self._now())))
        return Response(reply, media_type="application/xml")

    async def _answer(self, message: Any, key: str) -> str | None:
        """The passive reply for one message, or None for "success"; the rest is queued. A text's reply comes
        after the commit that stored it (the app's ingress, shared with the callbacks arriving meanwhile)."""
        openid = str(message.source or "")
        if not openid:
            return None
        cached = self._replies.get(key, _UNANSWERED)
        if cached is not _UNANSWERED:  # a retry: same answer, and no fresh quota
            log.info("%s: WeChat retry of %s answered from the cache", self.name, key)
            return cached
        if message.type == "event":
            if message.event in _WINDOW_EVENTS:
                self._service.opened(openid)
            welcome = WELCOME if message.event in ("subscribe", "subscribe_scan") else None
            self._replies.put(key, welcome)
            return welcome
        self._service.opened(openid)
        if message.type != "text":
            self._replies.put(key, None)
            return None
        chat = Chat(self.name, openid, False, "私聊")
        incoming = Incoming(chat=chat, sender=Sender(openid, openid), text=str(message.content or ""),
                            message_id=key, received_at=self._app.clock.now())
        replies = await self._app.receive(incoming)
        cached = self._replies.get(key, _UNANSWERED)
        if cached is not _UNANSWERED:  # a retry that came while the first delivery waited: the first's reply
            log.info("%s: WeChat retry of %s answered from the cache", self.name, key)
            return cached
        passive: str | None = None
        others: list[Outgoing] = []
        for reply in filter(_shown, replies):
            if passive is None and reply.chat == chat:
                parts = split_text(render_text(reply), PART_BYTES)
                passive = parts[0] if parts else None
                self._service.hold(openid, parts[1:])
            else:
                others.append(reply)
        self._replies.put(key, passive)
        self._app.send(others)  # ours come back through send(), after the passive reply
        return passive


def _shown(message: Outgoing) -> bool:
    """Every chat here is one follower's: a note for that follower in their own chat is sent like any
    message (nobody else sees it); one for anybody else is dropped (there are no cards to put it on)."""
    chat = message.chat
    if message.private_to and not chat.is_group and chat.chat_id == message.private_to:
        return True
    return not dropped(message, "wechat_mp")


def _key(message: Any) -> str:
    """What WeChat repeats when it retries: the MsgId; an event has none, so its sender, time, kind
    and key (WeChat's advice: FromUserName + CreateTime)."""
    if message.type != "event":
        return str(message.id)
    return f"event:{message.source}:{message.time}:{message.event}:{getattr(message, 'key', '')}"
