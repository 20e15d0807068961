"""What the smart robot answers in HTTP callback mode: a callback's payload → `Incoming` →
`app.handle` → one passive reply (robot_http.py sends it back encrypted).

The reply is a `stream` (finish true) carrying the bot's replies as markdown, a `template_card`
when the reply is a question with choices, or both (`stream_with_template_card`) when a question
follows text, as 开始竞赛 does. A card click goes to the core as its choice (`Incoming.button`) and the
question its card was for (`question_key`, read back from the task id); the core's note for that
member (`Outgoing.private_to`) is the reply, an `update_template_card` for them only; notes never go
to the group (bot/channels/common/private_notes.py). This mode has no
proactive send: whatever does not fit in the passive reply, and every timer-driven message
(reveals, next questions, results), goes through the group's 消息推送 webhook."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from bot.app import App
from bot.channels.common.mentions import join_parts, strip_mentions
from bot.channels.common.private_notes import dropped, split_notes
from bot.channels.common.reply_cache import MAX_ENTRIES, TTLCache
from bot.channels.common.split import cut_bytes
from bot.channels.wecom import cards
from bot.channels.wecom.webhook import GroupWebhooks
from bot.messages import Chat, Incoming, Outgoing, Sender

__all__ = ["Conversation", "STREAM_BYTES"]

log = logging.getLogger(__name__)

STREAM_BYTES = 20_480
STREAM_TTL = 600.0  # refresh callbacks come for up to 6 minutes
CARD_TTL = 3600.0


class Conversation:
    """The robot's side of the conversation in the chats of channel `channel`; `webhooks` carry
    what the passive reply cannot. At most `remember` streams, cards, chats and warnings are kept."""

    def __init__(self, *, app: App, channel: str, webhooks: GroupWebhooks | None,
                 remember: int = MAX_ENTRIES) -> None:
        self.name = channel
        self._app, self._webhooks, self._remember = app, webhooks, remember
        self._streams: TTLCache[str] = TTLCache(STREAM_TTL, remember)
        self._cards: TTLCache[dict[str, Any]] = TTLCache(CARD_TTL, remember)
        self._warned: set[str] = set()

    def refresh(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """A stream refresh poll: the stream's content again (not deduped: WeCom polls it)."""
        stream_id = str((payload.get("stream") or {}).get("id") or "")
        content = self._streams.get(stream_id)
        return None if content is None else _stream(stream_id, content)

    async def answer(self, payload: dict[str, Any], msgid: str) -> dict[str, Any] | None:
        """The passive reply to one (decrypted) callback, or None for an empty 200; a message's reply after the
        commit that stored it (the app's ingress, shared with the callbacks arriving meanwhile)."""
        msgtype = payload.get("msgtype")
        if msgtype in ("text", "mixed"):
            return await self._on_message(payload, msgid)
        if msgtype == "event":
            event = payload.get("event") or {}
            kind = event.get("eventtype")
            if kind == "enter_chat":
                name = self._app.settings.bot.name
                return {"msgtype": "text", "text": {"content": f"您好，我是{name}。发送「帮助」查看我能做什么。"}}
            if kind == "template_card_event":
                return await self._on_click(payload, event, msgid)
        return None  # images, files, feedback: nothing to say

    def _chat(self, payload: dict[str, Any]) -> tuple[Chat, str] | None:
        userid = str((payload.get("from") or {}).get("userid") or "")
        if not userid:
            return None
        chatid = str(payload.get("chatid") or "")
        if payload.get("chattype") != "single" and chatid:  # no chattype: a chatid says group
            return Chat(self.name, chatid, True, chatid), userid
        return Chat(self.name, userid, False, ""), userid

    async def _on_message(self, payload: dict[str, Any], msgid: str) -> dict[str, Any] | None:
        found = self._chat(payload)
        if found is None:
            return None
        chat, userid = found
        if payload.get("msgtype") == "text":
            text = str((payload.get("text") or {}).get("content") or "")
        else:
            items = (payload.get("mixed") or {}).get("msg_item") or []
            text = join_parts(str((i.get("text") or {}).get("content") or "") for i in items
                              if isinstance(i, dict) and i.get("msgtype") == "text")
        text = strip_mentions(text, self._app.settings.bot.name)
        incoming = Incoming(chat=chat, sender=Sender(userid, userid), text=text,
                            message_id=msgid or uuid.uuid4().hex, received_at=self._app.clock.now(),
                            reply_handle=payload.get("response_url"))
        replies = await self._app.receive(incoming)
        return self._passive(chat, [r for r in replies if not dropped(r, "wecom robot")])

    async def _on_click(self, payload: dict[str, Any], event: dict[str, Any], msgid: str) -> dict[str, Any] | None:
        click = cards.parse_card_event(event)
        found = self._chat(payload)
        if click is None or found is None:
            return None
        chat, userid = found
        if not click.answer:  # the locked button, or submit with nothing ticked
            return None
        question = cards.question_of(click.task_id)
        incoming = Incoming(chat=chat, sender=Sender(userid, userid), text=click.answer,
                            message_id=msgid or f"card:{uuid.uuid4().hex}", received_at=self._app.clock.now(),
                            button=click.answer, question_key=question, reply_handle=payload.get("response_url"))
        note, replies = split_notes(await self._app.receive(incoming), userid, question, "wecom robot")
        for message in replies:  # a reveal, the next question: the group's
            self.send(message)
        if note is None:
            return None
        card = cards.note_card(self._cards.get(click.task_id), note, task_id=click.task_id,
                               card_type=click.card_type or "button_interaction")
        return _update(userid, card)

    # ----- replies -----

    def _passive(self, chat: Chat, replies: list[Outgoing]) -> dict[str, Any] | None:
        """One passive reply for as many replies as fit; the rest through the webhook."""
        if not replies:
            return None
        if (question := self._card(replies[0])) is not None:
            reply: dict[str, Any] = {"msgtype": "template_card", "template_card": question.card}
            if question.above:  # what the card cannot hold, in full just above it
                reply = {**self._stream(question.above), "msgtype": "stream_with_template_card",
                         "template_card": question.card}
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
            question = self._card(replies[i]) if i < len(replies) and pieces else None
            if question is not None and question.above:
                pieces.append(question.above)
            reply = self._stream("\n\n".join(pieces))
            if question is not None:
                reply = {"msgtype": "stream_with_template_card", "stream": reply["stream"],
                         "template_card": question.card}
                i += 1
            rest = replies[i:]
        for message in rest:
            self.send(message)
        return reply

    @staticmethod
    def _has_card(message: Outgoing) -> bool:
        return bool(message.choices) and cards.question_card(message, "probe") is not None

    def _card(self, message: Outgoing) -> cards.QuestionCard | None:
        """The question card for `message` (remembered for the click) and the text above it, or None."""
        if not message.choices:
            return None
        task_id = cards.make_task_id(message.key, uuid.uuid4().hex[:12])
        question = cards.question_card(message, task_id)
        if question is not None:
            self._cards.put(task_id, question.card)
        return question

    def _stream(self, text: str) -> dict[str, Any]:
        stream_id = uuid.uuid4().hex
        content = cut_bytes(text, STREAM_BYTES)
        self._streams.put(stream_id, content)
        return _stream(stream_id, content)

    @staticmethod
    def _markdown(message: Outgoing) -> str:
        if message.choices:  # no buttons here: say how to answer
            return cards.fallback_markdown(message, message.chat.is_group)
        return cards.message_markdown(message)

    # ----- proactive -----

    def send(self, message: Outgoing) -> None:
        """Timer-driven and overflow messages: the group's 消息推送 webhook, queued."""
        chat = message.chat
        if dropped(message, "wecom robot"):
            return
        if self._webhooks is None or self._webhooks.key_for(chat) is None:
            self._warn_once(chat)
            return
        self._webhooks.push(chat, self._markdown(message), priority=message.priority)

    def _warn_once(self, chat: Chat) -> None:
        if chat.chat_id in self._warned:
            return
        if len(self._warned) >= self._remember:
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
