"""The WeCom smart robot's long-connection frames and the bot: callbacks turned into `Incoming`
for the dispatcher, its replies turned into frames.

- in  `aibot_msg_callback`: text / mixed from a group (`chattype` group, `chatid`) or a private
  chat (`single`) → `Incoming` → `app.handle` → the first reply as `aibot_respond_msg` (a finished
  stream, or a template card) on the callback's req_id, the others as `aibot_send_msg`.
- in  `aibot_event_callback`: `template_card_event` (a click: its choice and the question its card
  was for, read back from the task id, go to the core as `Incoming.button` / `question_key`; the
  core's note for that member, if any, comes back as `aibot_respond_update_msg` on their card),
  `enter_chat` (`aibot_respond_welcome_msg`). `disconnected_event` is the connection's.

What a click means (an answer, a repeat, an older question's card) is the core's decision; a note
for one member (`Outgoing.private_to`) goes on the card they clicked, or nowhere
(bot/channels/common/private_notes.py). The cards sent and the response to each msgid are
remembered (the last 2,000 of each) for retries and card updates."""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.app import App
from bot.channels.common.mentions import join_parts, strip_mentions
from bot.channels.common.private_notes import dropped, split_notes
from bot.channels.common.reply_cache import TTLCache
from bot.channels.common.split import split_text
from bot.channels.wecom import cards
from bot.channels.wecom.send_queue import SendQueue
from bot.messages import Chat, Incoming, Outgoing, Sender

__all__ = ["RobotFrames", "Malformed", "event_type", "new_req_id", "SUBSCRIBE", "PING", "MSG_CALLBACK",
           "EVENT_CALLBACK", "RESPOND", "RESPOND_WELCOME", "RESPOND_UPDATE", "SEND"]

log = logging.getLogger(__name__)

SUBSCRIBE = "aibot_subscribe"
PING = "ping"
MSG_CALLBACK = "aibot_msg_callback"
EVENT_CALLBACK = "aibot_event_callback"
RESPOND = "aibot_respond_msg"
RESPOND_WELCOME = "aibot_respond_welcome_msg"
RESPOND_UPDATE = "aibot_respond_update_msg"
SEND = "aibot_send_msg"

MARKDOWN_LIMIT = 4000  # bytes of one pushed markdown message
STREAM_LIMIT = 20000  # bytes of one stream response (WeCom: 20,480)
_REMEMBERED = 2000  # responses, cards and clicks kept for retries and updates

# (connection, cmd, req_id, body, conversation): a reply bound to a callback's req_id, sent at once
Respond = Callable[[Any, str, str, dict[str, Any], str], Awaitable[None]]


class Malformed(Exception):
    """A frame we cannot use; the reason goes to the log."""


def new_req_id(cmd: str) -> str:
    return f"{cmd}_{uuid.uuid4().hex[:16]}"


def chat_key(chat: Chat) -> str:
    return f"{'group' if chat.is_group else 'single'}:{chat.chat_id}"


def event_type(body: dict[str, Any]) -> str:
    event = body.get("event")
    eventtype = event.get("eventtype") if isinstance(event, dict) else None
    if not isinstance(eventtype, str):
        raise Malformed("event without event.eventtype")
    return eventtype


@dataclass(frozen=True)
class _Callback:
    req_id: str
    msgid: str
    userid: str
    chat: Chat
    chat_key: str


def _remembered() -> TTLCache[Any]:
    return TTLCache(math.inf, _REMEMBERED)  # the last 2,000, however old


class RobotFrames:
    """Callbacks in, replies out, for the channel `channel`: pushes go to `queue`, replies to a
    callback through `respond`."""

    def __init__(self, *, app: App, channel: str, queue: SendQueue, respond: Respond) -> None:
        self.name = channel
        self._app, self._queue, self._respond = app, queue, respond
        self._responses: TTLCache[tuple[str, dict[str, Any] | None]] = _remembered()  # msgid -> (req_id, body)
        self._cards: TTLCache[dict[str, Any]] = _remembered()  # task_id -> card as sent
        self._seq = itertools.count(1)

    # ----- outgoing -----

    def _new_card(self, message: Outgoing) -> dict[str, Any] | None:
        unique = f"{time.time_ns() // 1_000_000:x}{next(self._seq):x}"
        task_id = cards.make_task_id(message.key, unique)
        card = cards.question_card(message, task_id)
        if card is not None:
            self._cards.put(task_id, card)
        return card

    def enqueue(self, message: Outgoing, confirmed: bool = False) -> list[asyncio.Future[None]]:
        """The message as `aibot_send_msg` frames, queued for its conversation; with `confirmed`,
        a future per frame resolved on WeCom's ack."""
        key, frames = self.outgoing(message)
        return self._queue.push(key, frames, confirmed, message.priority) if frames else []

    def outgoing(self, message: Outgoing) -> tuple[str, list[dict[str, Any]]]:
        """The message's conversation and its `aibot_send_msg` frames (none without a chat id)."""
        chat = message.chat
        if dropped(message, "wecom robot"):
            return "", []
        if not chat.chat_id:
            log.error("wecom robot: message without a chat id dropped: %.40s", message.text)
            return "", []
        key = chat_key(chat)
        head = {"chatid": chat.chat_id, "chat_type": 2 if chat.is_group else 1}
        bodies: list[dict[str, Any]] = []
        card = self._new_card(message) if message.choices else None
        if card is not None:
            bodies.append({**head, "msgtype": "template_card", "template_card": card})
        else:
            text = (cards.fallback_markdown(message, chat.is_group) if message.choices
                    else cards.message_markdown(message))
            bodies += [{**head, "msgtype": "markdown", "markdown": {"content": piece}}
                       for piece in split_text(text, MARKDOWN_LIMIT)]
        return key, [{"cmd": SEND, "headers": {"req_id": new_req_id(SEND)}, "body": body} for body in bodies]

    def _response_body(self, message: Outgoing) -> dict[str, Any]:
        """The reply to a user's message: the card where it has choices, else a finished stream."""
        if message.choices:
            card = self._new_card(message)
            if card is not None:
                return {"msgtype": "template_card", "template_card": card}
            content = cards.fallback_markdown(message, message.chat.is_group)
        else:
            content = cards.message_markdown(message)
        content = next(iter(split_text(content, STREAM_LIMIT)), "")
        return {"msgtype": "stream", "stream": {"id": f"s{uuid.uuid4().hex[:16]}", "finish": True, "content": content}}

    # ----- incoming frames -----

    def _callback(self, req_id: str, body: dict[str, Any]) -> _Callback:
        sender = body.get("from")
        userid = sender.get("userid") if isinstance(sender, dict) else None
        if not isinstance(userid, str) or not userid:
            raise Malformed("no from.userid")
        chattype, chatid = body.get("chattype"), body.get("chatid")
        # without a chattype (events may lack it), a chatid says group, as in WeCom's own plugin
        if chattype == "group" or (chattype != "single" and chatid):
            if not isinstance(chatid, str) or not chatid:
                raise Malformed("group callback without chatid")
            chat = Chat(self.name, chatid, True, chatid)
        else:
            chat = Chat(self.name, userid, False, "")
        msgid = body.get("msgid")
        return _Callback(req_id, str(msgid) if msgid not in (None, "") else "", userid, chat, chat_key(chat))

    async def on_message(self, ws: Any, req_id: str, body: dict[str, Any]) -> None:
        callback = self._callback(req_id, body)
        if not callback.msgid:
            raise Malformed("message without msgid")
        text = self._message_text(body)
        if text is None:
            log.debug("wecom robot: %s message ignored", body.get("msgtype"))
            return
        remembered = self._responses.get(callback.msgid)
        if remembered is not None:
            first_req, response = remembered
            if first_req == req_id or response is None:
                log.info("wecom robot: repeated callback %s ignored", callback.msgid)
            else:  # WeCom asks again: maybe our reply was lost; the same reply again, not silence
                log.info("wecom robot: repeated callback %s answered again", callback.msgid)
                await self._respond(ws, RESPOND, req_id, response, callback.chat_key)
            return
        incoming = Incoming(chat=callback.chat, sender=Sender(callback.userid, callback.userid), text=text,
                            message_id=callback.msgid, received_at=self._app.clock.now(), mentioned=True,
                            reply_handle=req_id)
        replies = [reply for reply in self._app.handle(incoming) if not dropped(reply, "wecom robot")]
        if not replies:
            self._responses.put(callback.msgid, (req_id, None))
            return
        response = self._response_body(replies[0])
        self._responses.put(callback.msgid, (req_id, response))
        await self._respond(ws, RESPOND, req_id, response, callback.chat_key)
        for reply in replies[1:]:
            self.enqueue(reply)

    def _message_text(self, body: dict[str, Any]) -> str | None:
        msgtype = body.get("msgtype")
        if msgtype == "text":
            content = body.get("text", {}).get("content") if isinstance(body.get("text"), dict) else None
            if not isinstance(content, str):
                raise Malformed("text message without text.content")
            return strip_mentions(content, self._app.settings.bot.name)
        if msgtype == "mixed":
            mixed = body.get("mixed")
            items = mixed.get("msg_item") if isinstance(mixed, dict) else None
            if not isinstance(items, list):
                raise Malformed("mixed message without mixed.msg_item")
            parts = [item["text"]["content"] for item in items
                     if isinstance(item, dict) and item.get("msgtype") == "text" and isinstance(item.get("text"), dict)
                     and isinstance(item["text"].get("content"), str)]
            return strip_mentions(join_parts(parts), self._app.settings.bot.name) if parts else None
        if not isinstance(msgtype, str):
            raise Malformed("message without msgtype")
        return None  # image, voice, file, stream…: nothing the bot answers

    async def on_event(self, ws: Any, req_id: str, body: dict[str, Any], eventtype: str) -> None:
        """An event other than `disconnected_event`; `eventtype` is `event_type(body)`."""
        if eventtype == "template_card_event":
            await self._on_click(ws, req_id, body, body["event"])
        elif eventtype == "enter_chat":
            callback = self._callback(req_id, body)
            welcome = f"您好，我是{self._app.settings.bot.name}。发送「帮助」查看命令。"
            await self._respond(ws, RESPOND_WELCOME, req_id, {"msgtype": "text", "text": {"content": welcome}},
                                callback.chat_key)
        else:
            log.debug("wecom robot: event %s ignored", eventtype)

    async def _on_click(self, ws: Any, req_id: str, body: dict[str, Any], event: dict[str, Any]) -> None:
        callback = self._callback(req_id, body)
        click = cards.parse_card_event(event)
        if click is None:
            raise Malformed("template_card_event without task_id")
        if not click.answer:
            log.debug("wecom robot: click without an answer on %s (%s)", click.task_id, click.event_key)
            return  # nothing ticked, or the locked button: the card stays as it is
        question = cards.question_of(click.task_id)
        incoming = Incoming(chat=callback.chat, sender=Sender(callback.userid, callback.userid), text=click.answer,
                            message_id=callback.msgid or f"click:{req_id}", received_at=self._app.clock.now(),
                            mentioned=True, button=click.answer, question_key=question, reply_handle=req_id)
        note, replies = split_notes(self._app.handle(incoming), callback.userid, question, "wecom robot")
        if note is not None:  # the core's word to the member who clicked: on their card only
            card_type = click.card_type or (self._cards.get(click.task_id) or {}).get("card_type", "button_interaction")
            update = cards.note_card(self._cards.get(click.task_id), note, task_id=click.task_id, card_type=card_type)
            await self._respond(ws, RESPOND_UPDATE, req_id, self._update_body(update, callback.userid),
                                callback.chat_key)
        for reply in replies:  # a reveal, the next question: the chat's
            self.enqueue(reply)

    @staticmethod
    def _update_body(card: dict[str, Any], userid: str) -> dict[str, Any]:
        return {"response_type": "update_template_card", "userids": [userid], "template_card": card}
