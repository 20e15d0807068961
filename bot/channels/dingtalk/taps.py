"""The question cards the DingTalk channel sent, and what a tap on one of them means.

A tap answers like a typed letter, unless its card's question is over (revealed, or a newer
question was asked in that chat): then it answers nothing and the member is told so on their card.
The first tap of a member on a card is the answer their card keeps showing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bot.app import App
from bot.channels.common.reply_cache import TTLCache
from bot.channels.dingtalk import cards
from bot.messages import Chat, Incoming, Outgoing, Sender

__all__ = ["CardBook", "TapOutcome", "answer_tap", "REMEMBERED"]

REMEMBERED = 2000  # cards, answers and closed questions kept for taps and updates


@dataclass(frozen=True)
class _Card:
    chat: Chat
    question: str  # the question's id in its cards' ids


class CardBook:
    """What is remembered of the cards sent (the last 2,000 of each kind)."""

    def __init__(self) -> None:
        self._cards: TTLCache[_Card] = TTLCache(math.inf, REMEMBERED)  # outTrackId -> card
        self._by_question: TTLCache[list[str]] = TTLCache(math.inf, REMEMBERED)  # question -> outTrackIds
        self._latest: dict[str, str] = {}  # chat_id -> its latest question
        self._closed: TTLCache[bool] = TTLCache(math.inf, REMEMBERED)  # questions revealed
        self._answers: TTLCache[str] = TTLCache(math.inf, REMEMBERED)  # (outTrackId, user) -> first answer

    def asked(self, message: Outgoing) -> None:
        """A question goes to its chat (as a card or as text): older cards there answer nothing now."""
        if message.choices:
            self._latest[message.chat.chat_id] = cards.question_id(message.key)

    def sending(self, track_id: str, chat: Chat) -> None:
        """Known before it is delivered: a member may tap it before DingTalk's answer reaches us."""
        self._cards.put(track_id, _Card(chat, cards.question_of(track_id)))

    def delivered(self, track_id: str) -> None:
        question = cards.question_of(track_id)
        self._by_question.put(question, [*(self._by_question.get(question) or []), track_id])

    def close(self, key: str) -> list[str]:
        """The question `key` is revealed: the ids of its cards, to close them for everyone."""
        question = cards.question_id(key)
        self._closed.put(question, True)
        return self._by_question.get(question) or []

    def chat_of(self, tap: cards.CardTap, channel: str) -> Chat | None:
        card = self._cards.get(tap.out_track_id)
        if card is not None:
            return card.chat
        return Chat(channel, tap.space_id, True, name=tap.space_id) if tap.space_id else None

    def is_over(self, chat: Chat, track_id: str) -> bool:
        question = cards.question_of(track_id)
        latest = self._latest.get(chat.chat_id)
        return bool(self._closed.get(question)) or (latest is not None and latest != question)

    def first_answer(self, tap: cards.CardTap) -> str:
        key = (tap.out_track_id, tap.user_id)
        answer = self._answers.get(key) or tap.choice
        self._answers.put(key, answer)
        return answer


@dataclass
class TapOutcome:
    update: dict[str, Any] | None = None  # the body of the card update for the member who tapped
    replies: list[Outgoing] = field(default_factory=list)  # for the chat


def answer_tap(book: CardBook, app: App, channel: str, tap: cards.CardTap) -> TapOutcome | None:
    """What a tap on a card leads to; None for a card not known here (and not in a known chat)."""
    chat = book.chat_of(tap, channel)
    if chat is None:
        return None
    if book.is_over(chat, tap.out_track_id):  # its letter must not answer the open question
        return TapOutcome(cards.update_body(tap.out_track_id, private={tap.user_id: cards.stale_data()}))
    incoming = Incoming(chat=chat, sender=Sender(tap.user_id, tap.user_id), text=tap.choice,
                        message_id=f"card:{tap.out_track_id}:{tap.user_id}",
                        received_at=app.clock.now(), mentioned=True, button=tap.choice)
    replies = app.handle(incoming)
    answer = book.first_answer(tap)
    # One short reply (the acknowledgement, "already answered", "time is up") is for the member
    # who tapped: it goes on their card, not to the group. Several replies (the reveal and the
    # next question) are for everyone.
    note = replies[0].text if len(replies) == 1 and not replies[0].choices else None
    update = cards.update_body(tap.out_track_id, private={tap.user_id: cards.answered_data(answer, note)})
    return TapOutcome(update, [] if note is not None else replies)
