"""The WeCom smart robot in HTTP callback mode: `GET/POST /wecom/robot`.

WeCom POSTs encrypted JSON; we answer passively with one encrypted reply: a `stream` (finish
true) carrying the bot's replies as markdown, a `template_card` when the reply is a question
with choices, or both (`stream_with_template_card`) when a question follows text, as 开始竞赛
does. A card click comes back as `template_card_event` and is dispatched exactly like the typed
letters; the answer is an `update_template_card` for that member only, showing their locked
answer. This mode has no proactive send: whatever does not fit in the passive reply, and every
timer-driven message (reveals, next questions, results), goes through the group's 消息推送
webhook (`wecom.webhooks`, by group name or chat id).

WeCom retries a callback it got no answer to (same msgid, up to 3 times, possibly at once). The
dispatcher ignores a repeated message id, so the reply given the first time is kept by msgid for
a few minutes and given again: a reply lost on the way is not lost.

Runs on the service's loop thread: `app.handle` is called directly (see bot/service.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.app import App
from bot.channels import wecom_cards as cards
from bot.channels.callbacks import BodyTooLarge, read_body, timestamp_skew
from bot.channels.reply_cache import TTLCache
from bot.channels.text_split import cut_bytes
from bot.channels.wecom_robot_crypto import RobotCrypto, RobotCryptoError
from bot.channels.wecom_webhook import WeComWebhook
from bot.messages import Chat, Incoming, Outgoing, Sender
from bot.settings import WeComSettings

__all__ = ["WeComRobotHTTP", "PATH", "MAX_BODY", "STREAM_BYTES"]

log = logging.getLogger(__name__)

PATH = "/wecom/robot"
MAX_BODY = 64 * 1024
STREAM_BYTES = 20_480
REPLY_TTL = 300.0  # WeCom retries within seconds; a few minutes is plenty
STREAM_TTL = 600.0  # refresh callbacks come for up to 6 minutes
CARD_TTL = 3600.0
CACHE_MAX = 50_000
_MENTIONS = re.compile(r"^(?:\s*@[^\s@]+)+\s*")

def _status(code: int) -> Response:
    return Response(status_code=code)


class WeComRobotHTTP:
    def __init__(self, *, app: App, settings: WeComSettings, webhook: WeComWebhook | None,
                 channel: str = "wecom", path: str = PATH, window: float = 300.0,
                 wall_clock: Callable[[], float] = time.time) -> None:
        robot = settings.robot
        if robot is None or robot.token is None or robot.encoding_aes_key is None:
            raise ValueError("wecom.robot 回调模式需要 token 和 encoding_aes_key")
        self.name = channel
        self._app, self._webhook, self._path = app, webhook, path
        self._window, self._wall = window, wall_clock
        self._crypto = RobotCrypto(robot.token.get_secret_value(), robot.encoding_aes_key.get_secret_value())
        self._webhook_keys = settings.webhooks
        self._replies: TTLCache[asyncio.Future[dict[str, Any] | None]] = TTLCache(REPLY_TTL, CACHE_MAX, time.monotonic)
        self._streams: TTLCache[str] = TTLCache(STREAM_TTL, CACHE_MAX, time.monotonic)
        self._cards: TTLCache[dict[str, Any]] = TTLCache(CARD_TTL, CACHE_MAX, time.monotonic)
        self._latest: dict[str, str] = {}  # chat id -> task group of its newest question
        self._warned: set[str] = set()

    # ----- service -----

    def router(self) -> APIRouter:
        """Plain Starlette routes: these endpoints read their raw query and body themselves, and
        FastAPI's parameter machinery would cost about 50 µs more per callback."""
        router = APIRouter()
        router.routes.append(Route(self._path, self._verify_url, methods=["GET"], include_in_schema=False))
        router.routes.append(Route(self._path, self._callback, methods=["POST"], include_in_schema=False))
        return router

    async def start(self) -> None:
        if self._webhook is not None:
            await self._webhook.start()  # idempotent: the WeCom channel may start it too

    async def stop(self) -> None:
        if self._webhook is not None:
            await self._webhook.stop()

    # ----- HTTP -----

    async def _verify_url(self, request: Request) -> Response:
        """URL verification when the callback is saved in the admin console: echo the plaintext."""
        query = request.query_params
        signature, timestamp, nonce, echostr = (query.get(name) for name in
                                                ("msg_signature", "timestamp", "nonce", "echostr"))
        if not (signature and timestamp and nonce and echostr):
            return self._reject(request, 400, "URL verification without its parameters")
        if not self._crypto.verify(signature, timestamp, nonce, echostr):
            return self._reject(request, 403, "URL verification with a bad signature")
        try:
            plain = self._crypto.decrypt(echostr)
        except RobotCryptoError:
            return self._reject(request, 403, "URL verification echostr does not decrypt with our key")
        return Response(plain, media_type="text/plain")

    async def _callback(self, request: Request) -> Response:
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            return self._reject(request, 413, "body too large")
        query = request.query_params
        signature, timestamp, nonce = (query.get(n) for n in ("msg_signature", "timestamp", "nonce"))
        if not (signature and timestamp and nonce):
            return self._reject(request, 400, "callback without msg_signature, timestamp or nonce")
        try:
            encrypt = json.loads(body)["encrypt"]
        except (ValueError, KeyError, TypeError):
            encrypt = None
        if not isinstance(encrypt, str) or not encrypt:
            return self._reject(request, 400, "body is not JSON with an encrypt field")
        skew = timestamp_skew(timestamp, self._wall())
        if skew is None or skew > self._window:
            return self._reject(request, 403, "stale or invalid timestamp")
        if not self._crypto.verify(signature, timestamp, nonce, encrypt):
            return self._reject(request, 403, "bad signature")
        try:
            payload = json.loads(self._crypto.decrypt(encrypt))
        except (RobotCryptoError, ValueError):
            payload = None
        if not isinstance(payload, dict):
            return self._reject(request, 403, "payload does not decrypt with our key")
        reply = await self._answer(payload)
        if reply is None:
            return _status(200)
        wrapped = self._crypto.encrypt(json.dumps(reply, ensure_ascii=False), nonce, str(int(self._wall())))
        return Response(json.dumps(wrapped), media_type="application/json")

    @staticmethod
    def _reject(request: Request, status: int, why: str) -> Response:
        client = request.client.host if request.client else "?"
        log.warning("wecom robot: %s from %s: %d", why, client, status)
        return _status(status)

    # ----- callbacks -----

    async def _answer(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The passive reply; a repeated msgid gets the reply the first delivery got."""
        if payload.get("msgtype") == "stream":  # a refresh poll: not deduped
            stream_id = str((payload.get("stream") or {}).get("id") or "")
            content = self._streams.get(stream_id)
            return None if content is None else _stream(stream_id, content)
        msgid = str(payload.get("msgid") or "")
        if msgid:
            earlier = self._replies.get(msgid)
            if earlier is not None:
                log.info("wecom robot: retry of %s answered with the first reply", msgid)
                return await asyncio.shield(earlier)
            future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
            self._replies.put(msgid, future)
        reply = None
        try:
            reply = self._handle(payload, msgid)
        except Exception:  # an empty 200 rather than a 500 WeCom would retry
            log.exception("wecom robot: handling callback %s failed", msgid or payload.get("msgtype"))
        finally:
            if msgid:
                future.set_result(reply)
        return reply

    def _handle(self, payload: dict[str, Any], msgid: str) -> dict[str, Any] | None:
        msgtype = payload.get("msgtype")
        if msgtype in ("text", "mixed"):
            return self._on_message(payload, msgid)
        if msgtype == "event":
            event = payload.get("event") or {}
            kind = event.get("eventtype")
            if kind == "enter_chat":
                name = self._app.settings.bot.name
                return {"msgtype": "text", "text": {"content": f"您好，我是{name}。发送「帮助」查看我能做什么。"}}
            if kind == "template_card_event":
                return self._on_click(payload, event, msgid)
        return None  # images, files, feedback: nothing to say

    def _chat(self, payload: dict[str, Any]) -> tuple[Chat, str] | None:
        userid = str((payload.get("from") or {}).get("userid") or "")
        if not userid:
            return None
        chatid = str(payload.get("chatid") or "")
        if payload.get("chattype") == "group" and chatid:
            return Chat(self.name, chatid, True, chatid), userid
        return Chat(self.name, userid, False, ""), userid

    def _on_message(self, payload: dict[str, Any], msgid: str) -> dict[str, Any] | None:
        found = self._chat(payload)
        if found is None:
            return None
        chat, userid = found
        if payload.get("msgtype") == "text":
            text = str((payload.get("text") or {}).get("content") or "")
        else:
            items = (payload.get("mixed") or {}).get("msg_item") or []
            text = "\n".join(str((i.get("text") or {}).get("content") or "") for i in items
                             if isinstance(i, dict) and i.get("msgtype") == "text")
        text = _MENTIONS.sub("", text, count=1).strip()  # "@RobotA 开始竞赛" in groups
        incoming = Incoming(chat=chat, sender=Sender(userid, userid), text=text,
                            message_id=msgid or uuid.uuid4().hex, received_at=self._app.clock.now(),
                            reply_handle=payload.get("response_url"))
        return self._passive(chat, self._app.handle(incoming))

    def _on_click(self, payload: dict[str, Any], event: dict[str, Any], msgid: str) -> dict[str, Any] | None:
        click = cards.parse_card_event(event)
        found = self._chat(payload)
        if click is None or found is None:
            return None
        chat, userid = found
        card = self._cards.get(click.task_id)
        latest = self._latest.get(chat.chat_id)
        if latest is not None and cards.task_group(click.task_id) != latest:  # an older question's card
            return _update(userid, cards.closed_card(card, task_id=click.task_id, card_type=click.card_type))
        if not click.answer:  # the locked button, or submit with nothing ticked
            return None
        incoming = Incoming(chat=chat, sender=Sender(userid, userid), text=click.answer,
                            message_id=msgid or f"card:{click.task_id}:{userid}",
                            received_at=self._app.clock.now(), button=click.answer,
                            reply_handle=payload.get("response_url"))
        replies = self._app.handle(incoming)
        note = None
        if len(replies) == 1 and not replies[0].choices:  # the member's own receipt: on their card
            note, replies = replies[0].text, []
        for message in replies:  # a reveal, the next question: the group's
            self.send(message)
        return _update(userid, cards.answered_card(card, task_id=click.task_id, card_type=click.card_type,
                                                   answer=click.answer, note=note))

    # ----- replies -----

    def _passive(self, chat: Chat, replies: list[Outgoing]) -> dict[str, Any] | None:
        """One passive reply for as many replies as fit; the rest through the webhook."""
        if not replies:
            return None
        if (card := self._card(replies[0])) is not None:
            reply: dict[str, Any] = {"msgtype": "template_card", "template_card": card}
            rest = replies[1:]
        else:
            pieces: list[str] = []
            size, i = 0, 0
            while i < len(replies) and not self._has_card(replies[i]):
                piece = self._markdown(replies[i])
                added = len(piece.encode()) + (2 if pieces else 0)
                if pieces and size + added > STREAM_BYTES:
                    break
                pieces.append(piece)
                size, i = size + added, i + 1
            stream_id = uuid.uuid4().hex
            content = cut_bytes("\n\n".join(pieces), STREAM_BYTES)
            self._streams.put(stream_id, content)
            reply = _stream(stream_id, content)
            if i < len(replies) and pieces and (card := self._card(replies[i])) is not None:
                reply = {"msgtype": "stream_with_template_card", "stream": reply["stream"], "template_card": card}
                i += 1
            rest = replies[i:]
        for message in rest:
            self.send(message)
        return reply

    @staticmethod
    def _has_card(message: Outgoing) -> bool:
        return bool(message.choices) and cards.question_card(message, "probe") is not None

    def _card(self, message: Outgoing) -> dict[str, Any] | None:
        """The question card for `message` (remembered for the click), or None."""
        if not message.choices:
            return None
        task_id = cards.make_task_id(message.key or "question", uuid.uuid4().hex[:12])
        card = cards.question_card(message, task_id)
        if card is not None:
            self._cards.put(task_id, card)
            self._note_question(message)
        return card

    def _note_question(self, message: Outgoing) -> None:
        """Remember the chat's newest question, so a click on an older card is not an answer."""
        if message.choices and message.key:
            if len(self._latest) > CACHE_MAX:
                self._latest.clear()
            self._latest[message.chat.chat_id] = cards.task_group(cards.make_task_id(message.key, "0"))

    @staticmethod
    def _markdown(message: Outgoing) -> str:
        if message.choices:  # no buttons here: say how to answer
            return cards.fallback_markdown(message, message.chat.is_group)
        return cards.message_markdown(message)

    # ----- proactive -----

    def send(self, message: Outgoing) -> None:
        """Timer-driven and overflow messages: the group's 消息推送 webhook, queued."""
        chat = message.chat
        self._note_question(message)
        key = self._webhook_key(chat) if chat.is_group else None
        if key is None or self._webhook is None:
            self._warn_once(chat)
            return
        self._webhook.send_markdown(key, self._markdown(message), label=chat.name or chat.chat_id)

    async def deliver(self, message: Outgoing) -> None:
        """Callback mode cannot push: the group's webhook queue takes it (see `send`)."""
        self.send(message)

    def _webhook_key(self, chat: Chat) -> str | None:
        secret = self._webhook_keys.get(chat.name) or self._webhook_keys.get(chat.chat_id)
        return secret.get_secret_value() if secret is not None else None

    def _warn_once(self, chat: Chat) -> None:
        if chat.chat_id in self._warned:
            return
        if len(self._warned) > CACHE_MAX:
            self._warned.clear()
        self._warned.add(chat.chat_id)
        if chat.is_group:
            log.warning("wecom robot: group %s has no webhook; proactive messages (reveals, next questions, "
                        "results) need wecom.webhooks[%r] in callback mode; not sent", chat.chat_id,
                        chat.name or chat.chat_id)
        else:
            log.warning("wecom robot: private chat %s cannot be messaged proactively in callback mode; not sent",
                        chat.chat_id)


def _stream(stream_id: str, content: str) -> dict[str, Any]:
    return {"msgtype": "stream", "stream": {"id": stream_id, "finish": True, "content": content}}


def _update(userid: str, card: dict[str, Any]) -> dict[str, Any]:
    return {"response_type": "update_template_card", "userids": [userid], "template_card": card}
