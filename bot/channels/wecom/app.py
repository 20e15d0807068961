"""The WeCom self-built app (企业微信自建应用): private chats with each member.

In: WeCom POSTs encrypted XML to /wecom/app (GET once to verify the URL). We verify, decrypt,
turn a text into an Incoming and answer with an encrypted passive reply inside WeCom's 5 s.
Out: everything else (extra replies, a reply that took too long, timer-driven pushes) goes
through `message/send`, from one task that sends in order and calls wechatpy's blocking client
in a thread (app_send.py).

WeCom retries a callback it got no answer to (3 tries) and may deliver the same MsgId twice.
The dispatcher ignores the repeat, so the reply to each MsgId is kept for a few minutes and a
retry gets the same reply again: the first answer may be the one that was lost.

The app cannot be in group chats: messages for groups are refused (logged, not sent)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import xmltodict
from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.background import BackgroundTask
from wechatpy.enterprise import WeChatCrypto, create_reply, parse_message
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.app import App
from bot.channels.common import callbacks
from bot.channels.common.aio import Sleep
from bot.channels.common.private_notes import dropped
from bot.channels.common.replays import ReplayGuard
from bot.channels.common.reply_cache import MAX_ENTRIES, TTLCache
from bot.channels.common.split import split_text
from bot.channels.wecom.app_send import ApiClient, AppSender
from bot.clock import SHANGHAI
from bot.messages import Chat, Incoming, Outgoing, Sender
from bot.settings import WeComAppSettings

__all__ = ["WeComApp", "PATH", "TEXT_LIMIT", "render_text"]

log = logging.getLogger(__name__)

PATH = "/wecom/app"
MAX_BODY = 64 * 1024
TEXT_LIMIT = 2048  # bytes in one WeCom text message; longer ones are cut by WeCom
PRIVATE = "私聊"
WELCOME_COMMAND = "帮助"  # what a member who just followed the app is shown
PREFIX = 20  # characters of a member's text that may appear in the log
_UNANSWERED = object()


def render_text(message: Outgoing) -> str:
    """The app has no buttons: choices become a 「回复 A/B/C/D」 line."""
    if not message.choices:
        return message.text
    return f"{message.text}\n回复 {'/'.join(message.choices)}"


def _aes_key(value: str) -> str:
    """WeChatCrypto checks the key with `assert` (gone under python -O): check it here."""
    if not callbacks.is_aes_key(value):
        raise ValueError("wecom.app.encoding_aes_key 应为企业微信后台生成的 43 个字符")
    return value


class WeComApp:
    """`router()` serves GET/POST /wecom/app; `send` queues a private message for `message/send`.

    `timestamp_window`: seconds a callback's timestamp may be from `app.clock`.
    `remember`: at most this many replies and (timestamp, nonce) pairs are kept.
    `reply_budget`: seconds after which a reply no longer goes back passively (WeCom waits 5 s).
    `markdown`: send an Outgoing's markdown as a markdown message (not shown in the WeChat plug-in)."""

    def __init__(self, *, app: App, corp_id: str, settings: WeComAppSettings, api_base_url: str,
                 channel: str = "wecom", timestamp_window: float = 300, reply_budget: float = 3.0,
                 reply_ttl: float = 300, max_body: int = MAX_BODY, markdown: bool = False,
                 api_timeout: float = 10.0, send_attempts: int = 4, backoff: tuple[float, float] = (1.0, 30.0),
                 drain_timeout: float = 5.0, sleep: Sleep = asyncio.sleep, remember: int = MAX_ENTRIES) -> None:
        if not corp_id:
            raise ValueError("wecom.app 需要 wecom.corp_id（企业 ID）")
        self.name = channel
        self._app = app
        self._agent_id = settings.agent_id
        self._token = settings.token.get_secret_value()
        self._crypto = WeChatCrypto(self._token, _aes_key(settings.encoding_aes_key.get_secret_value()), corp_id)
        client = ApiClient(corp_id, settings.secret.get_secret_value(), api_base_url=api_base_url,
                           timeout=api_timeout)
        self._sender = AppSender(client=client, agent_id=settings.agent_id, name=channel, attempts=send_attempts,
                                 backoff=backoff, drain_timeout=drain_timeout, sleep=sleep)
        self._budget, self._max_body, self._markdown = reply_budget, max_body, markdown
        # MsgId -> the passive reply given, or None when there was none
        self._answered: TTLCache[str | None] = TTLCache(reply_ttl, remember)
        self._guard = ReplayGuard(window=timestamp_window, remember=remember,
                                  clock=lambda: app.clock.now().replace(tzinfo=SHANGHAI).timestamp())

    # ----- service -----

    async def start(self) -> None:
        await self._sender.start()

    async def stop(self) -> None:
        """Send what is queued for up to `drain_timeout` seconds, then give up on the rest."""
        await self._sender.stop()

    # ----- out -----

    def send(self, message: Outgoing) -> None:
        """Queue a private message; the sender task delivers it. Never blocks."""
        chat = message.chat
        if dropped(message, "wecom app"):  # the app has no cards to show a note for one member on
            return
        if chat.is_group or not chat.chat_id:
            log.error("wecom app: cannot send to %s (the app has private chats only); dropped: %.20s",
                      chat.name or chat.chat_id or "?", message.text)
            return
        label = message.key or message.text[:PREFIX]
        if self._markdown and message.markdown:
            self._sender.send(chat.chat_id, split_text(message.markdown, TEXT_LIMIT), markdown=True, label=label)
        else:
            self._sender.send(chat.chat_id, split_text(render_text(message), TEXT_LIMIT), markdown=False, label=label)

    async def deliver(self, message: Outgoing) -> None:
        """For the outbox: `message/send` answers only later, from the sender task; handed over."""
        self.send(message)

    # ----- in -----

    def router(self) -> APIRouter:
        return callbacks.router(PATH, verify=self._verify_url, receive=self._callback)

    async def _verify_url(self, request: Request) -> Response:
        """Saving the callback URL in the WeCom admin: answer the decrypted echostr as plain text."""
        q = request.query_params
        sig, ts, nonce, echo = q.get("msg_signature"), q.get("timestamp"), q.get("nonce"), q.get("echostr")
        if not (sig and ts and nonce and echo):
            log.warning("wecom app: URL check refused: parameters missing")
            return Response(status_code=400)
        if (stale := self._guard.stale(ts)) is not None:  # a stale URL check is a replayed one
            log.warning("wecom app: URL check refused: %s", stale)
            return Response(status_code=403)
        plain = self._open(echo, sig, ts, nonce, lambda: self._crypto.check_signature(sig, ts, nonce, echo))
        if plain is None:
            return Response(status_code=403)
        if replayed := self._guard.replayed(ts, nonce, "URL check"):  # made once per save in the console
            log.warning("wecom app: URL check refused: %s", replayed)
            return Response(status_code=403)
        log.info("wecom app: callback URL verified")
        return PlainTextResponse(plain)

    async def _callback(self, request: Request) -> Response:
        started = time.monotonic()
        try:
            body = await callbacks.read_body(request, self._max_body)
        except callbacks.BodyTooLarge:
            log.warning("wecom app: callback refused: body over %d bytes", self._max_body)
            return Response(status_code=413)
        q = request.query_params
        sig, ts, nonce = q.get("msg_signature"), q.get("timestamp"), q.get("nonce")
        if not (sig and ts and nonce):
            log.warning("wecom app: callback refused: parameters missing")
            return Response(status_code=400)
        if (stale := self._guard.stale(ts)) is not None:
            log.warning("wecom app: callback refused: %s", stale)
            return Response(status_code=403)
        try:
            encrypt = xmltodict.parse(body)["xml"]["Encrypt"]
            if not isinstance(encrypt, str):
                raise TypeError
        except Exception as exc:  # any malformed body: expat, missing element, wrong shape
            log.warning("wecom app: callback refused: not an encrypted WeCom XML body (%s)", type(exc).__name__)
            return Response(status_code=400)
        plain = self._open(encrypt, sig, ts, nonce,
                           lambda: self._crypto.decrypt_message({"Encrypt": encrypt}, sig, ts, nonce))
        if plain is None:
            return Response(status_code=403)
        try:
            message = parse_message(plain)  # for the reply
            fields = xmltodict.parse(plain)["xml"]
            key = _message_id(fields)
        except Exception as exc:  # signed by WeCom, yet unreadable
            log.warning("wecom app: callback ignored: decrypted XML unreadable (%s)", type(exc).__name__)
            return Response(status_code=400)
        kept = self._answered.get(key, _UNANSWERED) is not _UNANSWERED  # a retry is answered from it
        if replayed := self._guard.replayed(ts, nonce, plain, kept=kept):
            log.warning("wecom app: callback refused: %s", replayed)
            return Response(status_code=403)
        incoming = self._incoming(fields)
        if incoming is None:
            return Response(status_code=200)
        return await self._answer(incoming, message, nonce, ts, started)

    def _open(self, data: str, sig: str, ts: str, nonce: str, decrypt) -> str | None:
        """The plaintext, or None (logged in one line) when the signature or decryption fails."""
        # wechatpy compares signatures with `!=`; compare in constant time first
        if not callbacks.same_signature(callbacks.signature(self._token, ts, nonce, data), sig):
            log.warning("wecom app: refused: bad signature")
            return None
        try:
            return decrypt()
        except InvalidSignatureException:
            log.warning("wecom app: refused: bad signature")
        except InvalidCorpIdException:
            log.warning("wecom app: refused: encrypted for another corp id")
        except Exception as exc:  # a wrong EncodingAESKey surfaces as struct.error, UnicodeDecodeError…
            log.warning("wecom app: refused: cannot decrypt (%s; wrong EncodingAESKey?)", type(exc).__name__)
        return None

    def _incoming(self, fields: dict[str, Any]) -> Incoming | None:
        """Text messages, and a welcome for a member who follows the app; None for the rest. `fields`:
        the decrypted XML's elements (events and messages carry different ones)."""
        user = str(fields.get("FromUserName") or "")
        agent = _number(fields.get("AgentID"))
        if not user:
            return None
        if agent and agent != self._agent_id:
            log.warning("wecom app: callback for agent %s ignored (configured: %s)", agent, self._agent_id)
            return None
        kind, event = str(fields.get("MsgType") or "").lower(), str(fields.get("Event") or "").lower()
        if kind == "text":
            text, message_id = str(fields.get("Content") or ""), _message_id(fields)
        elif kind == "event" and event == "subscribe":
            text, message_id = WELCOME_COMMAND, _message_id(fields)
        else:  # pictures, voice, enter_agent (sent on every visit: a welcome each time would nag)…
            log.debug("wecom app: %s %s from %s ignored", kind, event, user)
            return None
        chat = Chat(self.name, user, False, PRIVATE)
        return Incoming(chat=chat, sender=Sender(user, user), text=text, message_id=message_id,
                        received_at=self._app.clock.now())

    async def _answer(self, incoming: Incoming, message, nonce: str, ts: str, started: float) -> Response:
        key = incoming.message_id
        earlier = self._answered.get(key, _UNANSWERED)
        if earlier is not _UNANSWERED:
            log.info("wecom app: retry of %s answered with the same reply", key)
            return self._passive(earlier, message, nonce, ts)
        replies = await self._app.receive(incoming)  # after the commit that stored it
        # a retry that came while the first delivery waited in the ingress: the dispatcher ignored it (no replies),
        # and the first delivery's reply, stored when its future resolved (in arrival order), is the one to give
        earlier = self._answered.get(key, _UNANSWERED)
        if earlier is not _UNANSWERED:
            log.info("wecom app: retry of %s answered with the same reply", key)
            return self._passive(earlier, message, nonce, ts)
        passive: str | None = None
        later: list[Outgoing] = []
        if replies and replies[0].chat == incoming.chat:
            pieces = split_text(render_text(replies[0]), TEXT_LIMIT)
            if time.monotonic() - started <= self._budget:
                passive = pieces[0] if pieces else None
                later = [Outgoing(incoming.chat, piece) for piece in pieces[1:]] + replies[1:]
            else:
                log.warning("wecom app: reply to %s took %.1f s; sending it actively", key,
                            time.monotonic() - started)
                later = replies
        else:
            later = replies
        self._answered.put(key, passive)
        log.debug("wecom app: %s from %s: %.20s -> %d reply(s)", key, incoming.sender.user_id, incoming.text,
                  len(replies))
        # queued after the passive reply is on the wire, so the member reads them in order
        task = BackgroundTask(self._send_all, later) if later else None
        response = self._passive(passive, message, nonce, ts)
        response.background = task
        return response

    async def _send_all(self, messages: list[Outgoing]) -> None:
        for message in messages:
            if message.chat.channel == self.name and not message.chat.is_group:
                self.send(message)
            else:
                self._app.send([message])

    def _passive(self, text: str | None, message, nonce: str, ts: str) -> Response:
        if text is None:
            return Response(status_code=200)
        reply = create_reply(callbacks.cdata_safe(text), message=message)
        return Response(self._crypto.encrypt_message(reply.render(), nonce, ts), media_type="application/xml")


def _number(value: object) -> int:
    """An XML element's integer (MsgId, AgentID, CreateTime); 0 when absent or not a number."""
    try:
        return int(str(value or 0))
    except ValueError:
        return 0


def _message_id(fields: dict[str, Any]) -> str:
    """WeCom's MsgId; FromUserName + CreateTime when it has none (as for events)."""
    msg_id = _number(fields.get("MsgId"))
    return str(msg_id) if msg_id else f"{fields.get('FromUserName')}:{_number(fields.get('CreateTime'))}"
