"""What the bot's messages become on the WeCom long connection: `aibot_send_msg` frames to push, or
the body of an `aibot_respond_msg` on a callback's req_id, with every id new.

WeCom takes a card's task_id and a stream's id once (its SDK: never reuse them), so every card and
every stream made here gets new ones, and so does anything sent again: a push WeCom never acked,
resent after a reconnect (`renewed`: a new req_id, a card under a new task_id), a reply WeCom refused,
pushed instead (`as_push`). A question whose card cannot hold everything gets a markdown just before
its card (card_layout.py); the cards sent are remembered by task id for the updates after a click."""

from __future__ import annotations

import itertools
import logging
import math
import time
import uuid
from typing import Any

from bot.channels.common.private_notes import dropped
from bot.channels.common.reply_cache import TTLCache
from bot.channels.common.split import split_text
from bot.channels.wecom import cards
from bot.messages import Chat, Outgoing

__all__ = ["Outbound", "chat_key", "new_req_id", "SEND", "MARKDOWN_LIMIT", "STREAM_LIMIT", "REMEMBERED"]

log = logging.getLogger(__name__)

SEND = "aibot_send_msg"
MARKDOWN_LIMIT = 4000  # bytes of one pushed markdown message
STREAM_LIMIT = 20000  # bytes of one stream response (WeCom: 20,480)
REMEMBERED = 2000  # responses, cards and clicks kept for retries and updates


def new_req_id(cmd: str) -> str:
    return f"{cmd}_{uuid.uuid4().hex[:16]}"


def chat_key(chat: Chat) -> str:
    return f"{'group' if chat.is_group else 'single'}:{chat.chat_id}"


def remembered() -> TTLCache[Any]:
    return TTLCache(math.inf, REMEMBERED)  # the last 2,000, however old


class Outbound:
    """Messages to frames for one robot; `cards` holds the cards sent (task_id -> card)."""

    def __init__(self) -> None:
        self.cards: TTLCache[dict[str, Any]] = remembered()
        self._seq = itertools.count(1)

    def _task_id(self, key: str) -> str:
        return cards.make_task_id(key, f"{time.time_ns() // 1_000_000:x}{next(self._seq):x}")

    def _question(self, message: Outgoing) -> cards.QuestionCard | None:
        if not message.choices:
            return None
        question = cards.question_card(message, self._task_id(message.key))
        if question is not None:
            self.cards.put(question.card["task_id"], question.card)
        return question

    def pushes(self, message: Outgoing) -> tuple[str, list[dict[str, Any]]]:
        """The message's conversation and its `aibot_send_msg` frames (none without a chat id): a
        question's markdown above its card, then the card; else the markdown in pieces."""
        chat = message.chat
        if dropped(message, "wecom robot"):
            return "", []
        if not chat.chat_id:
            log.error("wecom robot: message without a chat id dropped: %.40s", message.text)
            return "", []
        question = self._question(message)
        if question is not None:
            bodies = [_markdown(piece) for piece in split_text(question.above, MARKDOWN_LIMIT)
                      ] if question.above else []
            bodies.append({"msgtype": "template_card", "template_card": question.card})
        else:
            text = (cards.fallback_markdown(message, chat.is_group) if message.choices
                    else cards.message_markdown(message))
            bodies = [_markdown(piece) for piece in split_text(text, MARKDOWN_LIMIT)]
        return chat_key(chat), [_frame(chat, body) for body in bodies]

    def response(self, message: Outgoing) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The reply to a member's message, new ids each time: the body of the `aibot_respond_msg`
        (the card, or a finished stream) and the frames to push right after it (a card whose
        markdown above it went as the stream)."""
        question = self._question(message)
        if question is not None and not question.above:
            return {"msgtype": "template_card", "template_card": question.card}, []
        if question is not None:
            return _stream(question.above), [_frame(message.chat, {"msgtype": "template_card",
                                                                    "template_card": question.card})]
        if message.choices:
            return _stream(cards.fallback_markdown(message, message.chat.is_group)), []
        return _stream(cards.message_markdown(message)), []

    def as_push(self, body: dict[str, Any], chat: Chat) -> list[dict[str, Any]]:
        """A response WeCom refused, as `aibot_send_msg` frames with new ids (a stream as markdown)."""
        if body.get("msgtype") == "stream":
            content = str(body["stream"].get("content", ""))
            return [_frame(chat, _markdown(piece)) for piece in split_text(content, MARKDOWN_LIMIT)]
        if body.get("msgtype") == "template_card":
            return [_frame(chat, {**body, "template_card": self._rekeyed(body["template_card"])})]
        return []

    def renewed(self, frame: dict[str, Any]) -> dict[str, Any]:
        """A push sent again as a new message: a new req_id, its card under a new task_id."""
        body = dict(frame.get("body") or {})
        if isinstance(body.get("template_card"), dict):
            body["template_card"] = self._rekeyed(body["template_card"])
        return {**frame, "headers": {**frame.get("headers", {}), "req_id": new_req_id(str(frame.get("cmd")))},
                "body": body}

    def _rekeyed(self, card: dict[str, Any]) -> dict[str, Any]:
        fresh = cards.rekeyed(card, self._task_id(cards.question_of(str(card.get("task_id", "")))))
        self.cards.put(fresh["task_id"], fresh)
        return fresh


def _markdown(content: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _stream(content: str) -> dict[str, Any]:
    content = next(iter(split_text(content, STREAM_LIMIT)), "")
    return {"msgtype": "stream", "stream": {"id": f"s{uuid.uuid4().hex[:16]}", "finish": True, "content": content}}


def _frame(chat: Chat, body: dict[str, Any]) -> dict[str, Any]:
    head = {"chatid": chat.chat_id, "chat_type": 2 if chat.is_group else 1}
    return {"cmd": SEND, "headers": {"req_id": new_req_id(SEND)}, "body": {**head, **body}}
