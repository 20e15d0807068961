"""The WeCom smart robot's long-connection frames and the bot: callbacks turned into `Incoming`
for the dispatcher, its replies turned into frames.

- in  `aibot_msg_callback`: text / mixed from a group (`chattype` group, `chatid`) or a private
  chat (`single`) → `Incoming` → `app.receive_soon` → the first reply as `aibot_respond_msg` (a finished
  stream, or a template card) on the callback's req_id, the others as `aibot_send_msg`.
- in  `aibot_event_callback`: `template_card_event` (a click: its choice and the question its card
  was for, read back from the task id, go to the core as `Incoming.button` / `question_key`; the
  core's note for that member, if any, comes back as `aibot_respond_update_msg` on their card),
  `enter_chat` (`aibot_respond_welcome_msg`). `disconnected_event` is the connection's.

What a click means (an answer, a repeat, an older question's card) is the core's decision; a note
for one member (`Outgoing.private_to`) goes on the card they clicked, or nowhere
(bot/channels/common/private_notes.py). The cards sent and the response to each msgid are
remembered (the last 2,000 of each) for retries and card updates. Frames out are outgoing.py's,
with new ids for anything sent again: a repeated callback answered again, a refused reply pushed
instead (`on_refused`), a push resent after a reconnect (`renewed`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.app import App
from bot.channels.common.mentions import join_parts, strip_mentions
from bot.channels.common.private_notes import dropped, split_notes
from bot.channels.common.reply_cache import TTLCache
from bot.channels.wecom import cards
from bot.channels.wecom.outgoing import SEND, Outbound, chat_key, new_req_id, remembered
from bot.channels.wecom.send_queue import SendQueue
from bot.messages import Chat, Incoming, Outgoing, Sender
from safeio.text import encodable

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

# (connection, cmd, req_id, body, conversation): a reply bound to a callback's req_id, sent at once
Respond = Callable[[Any, str, str, dict[str, Any], str], Awaitable[None]]


_UNSEEN = object()
_PENDING = object()  # a msgid waiting in the app's ingress: a repeat of it now is ignored like any repeat


class Malformed(Exception):
    """A frame we cannot use; the reason goes to the log."""


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


class RobotFrames:
    """Callbacks in, replies out, for the channel `channel`: pushes go to `queue`, replies to a
    callback through `respond`."""

    def __init__(self, *, app: App, channel: str, queue: SendQueue, respond: Respond) -> None:
        self.name = channel
        self._app, self._queue, self._respond = app, queue, respond
        self._out = Outbound()
        self._responses: TTLCache[Outgoing | object | None] = remembered()  # msgid -> its reply (None: none)
        self._answered: TTLCache[str] = remembered()  # "<msgid> <req_id>": answered already (our dedupe)
        self._replies: TTLCache[tuple[dict[str, Any], Chat]] = remembered()  # req_id -> the response sent on it
        self._waiting: set[asyncio.Task[None]] = set()  # callbacks whose replies wait for the core's commit

    # ----- outgoing -----

    def enqueue(self, message: Outgoing, confirmed: bool = False) -> list[asyncio.Future[None]]:
        """The message as `aibot_send_msg` frames, queued for its conversation; with `confirmed`,
        a future per frame resolved on WeCom's ack."""
        key, frames = self.outgoing(message)
        return self._queue.push(key, frames, confirmed, message.priority) if frames else []

    def outgoing(self, message: Outgoing) -> tuple[str, list[dict[str, Any]]]:
        """The message's conversation and its `aibot_send_msg` frames (none without a chat id)."""
        return self._out.pushes(message)

    def renewed(self, frame: dict[str, Any]) -> dict[str, Any]:
        """A push to send again after a lost connection, as a new message (new req_id and task_id)."""
        return self._out.renewed(frame)

    async def _answer(self, ws: Any, callback: _Callback, message: Outgoing, again: bool = False) -> None:
        """`message` as the response on the callback's req_id (new ids each time) and, the first
        time only, the frames that follow it (a card under its markdown)."""
        body, after = self._out.response(message)
        self._replies.put(callback.req_id, (body, message.chat))
        await self._respond(ws, RESPOND, callback.req_id, body, callback.chat_key)
        if after and not again:
            self._queue.push(chat_key(message.chat), after, priority=message.priority)

    def on_refused(self, cmd: str, req_id: str, error: str) -> None:
        """WeCom refused a reply on a callback's req_id (e.g. errcode 600039): the member still gets
        it, pushed as a new message (as WeCom's SDKs do); once, never for a card update."""
        sent = self._replies.pop(req_id) if cmd == RESPOND else None
        if sent is None:
            return
        body, chat = sent
        frames = self._out.as_push(body, chat)
        if frames:
            log.warning("wecom robot: reply on %s refused (%s); pushed with aibot_send_msg instead", req_id, error)
            self._queue.push(chat_key(chat), frames)

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
        # the ids are logged and stored: a lone surrogate from the JSON (\\ud800) as U+FFFD
        return _Callback(req_id, encodable(str(msgid)) if msgid not in (None, "") else "", userid, chat,
                         chat_key(chat))

    async def on_message(self, ws: Any, req_id: str, body: dict[str, Any]) -> None:
        callback = self._callback(req_id, body)
        if not callback.msgid:
            raise Malformed("message without msgid")
        text = self._message_text(body)
        if text is None:
            log.debug("wecom robot: %r message ignored", body.get("msgtype"))
            return
        reply = self._responses.get(callback.msgid, _UNSEEN)
        if reply is not _UNSEEN:
            if not isinstance(reply, Outgoing) or self._answered.get(f"{callback.msgid} {req_id}") is not None:
                log.info("wecom robot: repeated callback %s ignored", callback.msgid)
            else:  # WeCom asks again: maybe our reply was lost; the same reply again (new ids), not silence
                log.info("wecom robot: repeated callback %s answered again", callback.msgid)
                self._answered.put(f"{callback.msgid} {req_id}", req_id)
                await self._answer(ws, callback, reply, again=True)
            return
        incoming = Incoming(chat=callback.chat, sender=Sender(callback.userid, callback.userid), text=text,
                            message_id=callback.msgid, received_at=self._app.clock.now(), mentioned=True,
                            reply_handle=req_id)
        self._responses.put(callback.msgid, _PENDING)
        await self._then(self._app.receive_soon(incoming), self._replied(ws, callback))

    def _replied(self, ws: Any, callback: _Callback) -> Callable[[list[Outgoing]], Awaitable[None]]:
        async def reply(handled: list[Outgoing]) -> None:
            replies = [r for r in handled if not dropped(r, "wecom robot")]
            self._responses.put(callback.msgid, replies[0] if replies else None)
            if not replies:
                return
            self._answered.put(f"{callback.msgid} {callback.req_id}", callback.req_id)
            await self._answer(ws, callback, replies[0])
            for later in replies[1:]:
                self.enqueue(later)
        return reply

    async def _then(self, handled: asyncio.Future[list[Outgoing]],
                    reply: Callable[[list[Outgoing]], Awaitable[None]]) -> None:
        """`reply` with the core's replies: at once when they are there (the ingress closed), else in a task once
        the commit that stored the message is done, so the reader goes on to the next frame meanwhile (replies are
        handed over in the order the frames came: the futures resolve in that order)."""
        if handled.done():
            await reply(handled.result())
            return
        task = asyncio.create_task(self._after(handled, reply))
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

    @staticmethod
    async def _after(handled: asyncio.Future[list[Outgoing]],
                     reply: Callable[[list[Outgoing]], Awaitable[None]]) -> None:
        try:
            await reply(await handled)
        except Exception:
            log.exception("wecom robot: the reply to a callback could not be sent")

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
            log.debug("wecom robot: event %r ignored", eventtype)

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
        async def reply(handled: list[Outgoing]) -> None:
            note, replies = split_notes(handled, callback.userid, question, "wecom robot")
            if note is not None:  # the core's word to the member who clicked: on their card only
                sent = self._out.cards.get(click.task_id)
                card_type = click.card_type or (sent or {}).get("card_type", "button_interaction")
                update = cards.note_card(sent, note, task_id=click.task_id, card_type=card_type)
                await self._respond(ws, RESPOND_UPDATE, req_id, self._update_body(update, callback.userid),
                                    callback.chat_key)
            for later in replies:  # a reveal, the next question: the chat's
                self.enqueue(later)

        await self._then(self._app.receive_soon(incoming), reply)

    @staticmethod
    def _update_body(card: dict[str, Any], userid: str) -> dict[str, Any]:
        return {"response_type": "update_template_card", "userids": [userid], "template_card": card}
