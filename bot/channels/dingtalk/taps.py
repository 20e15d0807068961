"""The question cards the DingTalk channel sent, and the translation of a tap on one of them.

A tap goes to the core as its choice (`Incoming.button`) and the question its card was for
(`Incoming.question_key`, read back from the card's outTrackId). Whether it counts (an answer, a
repeat, an older question's card, a card the core does not know) is the core's decision; its note
for the member who tapped (`Outgoing.private_to`) becomes that member's private card data, and the
other replies go to the chat (bot/channels/common/private_notes.py). What is remembered here is
only what translation needs: each card's chat, and each question's cards, to close them all when
the question is revealed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bot.app import App
from bot.channels.common.private_notes import split_notes
from bot.channels.common.reply_cache import TTLCache
from bot.channels.dingtalk import cards
from bot.messages import Chat, Incoming, Outgoing, Sender

__all__ = ["CardBook", "TapOutcome", "answer_tap", "REMEMBERED"]

REMEMBERED = 2000  # cards and questions kept for taps and closing


class CardBook:
    """What is remembered of the cards sent (the last 2,000 of each kind)."""

    def __init__(self) -> None:
        self._chats: TTLCache[Chat] = TTLCache(math.inf, REMEMBERED)  # outTrackId -> its chat
        self._by_question: TTLCache[list[str]] = TTLCache(math.inf, REMEMBERED)  # question key -> outTrackIds

    def sending(self, track_id: str, chat: Chat) -> None:
        """Known before it is delivered: a member may tap it before DingTalk's answer reaches us."""
        self._chats.put(track_id, chat)

    def delivered(self, track_id: str) -> None:
        question = cards.question_of(track_id)
        self._by_question.put(question, [*(self._by_question.get(question) or []), track_id])

    def close(self, key: str) -> list[str]:
        """The question `key` is revealed: the ids of its cards, to close them for everyone."""
        return self._by_question.get(key) or []

    def chat_of(self, tap: cards.CardTap, channel: str) -> Chat:
        """The card's chat; for a card not known here, the conversation DingTalk names, else the
        member's private chat with the robot (the core answers a tap on an unknown card to them)."""
        chat = self._chats.get(tap.out_track_id)
        if chat is not None:
            return chat
        if tap.space_id:  # no title: the core keeps the group's name and branch as it knows them
            return Chat(channel, tap.space_id, True)
        return Chat(channel, tap.user_id, False)


@dataclass
class TapOutcome:
    tap: cards.CardTap
    private: dict[str, str] | None = None  # the card's data for the member who tapped, from the core's note
    replies: list[Outgoing] = field(default_factory=list)  # for the chat

    def response(self) -> dict[str, Any] | None:
        """The card callback's response: the member's card changes with the ack, no request of its own."""
        return None if self.private is None else cards.callback_response(self.private)

    def update(self) -> dict[str, Any] | None:
        """The same change as a card update request (PUT /v1.0/card/instances), when the ack has left."""
        return None if self.private is None else cards.update_body(self.tap.out_track_id,
                                                                   private={self.tap.user_id: self.private})


def answer_tap(book: CardBook, app: App, channel: str, tap: cards.CardTap, message_id: str) -> TapOutcome:
    """The tap to the core, and its answer translated: the note for the member on their card, the rest
    for the chat. `message_id`: the platform's id of the callback (a redelivery is handled once)."""
    question = cards.question_of(tap.out_track_id)
    incoming = Incoming(chat=book.chat_of(tap, channel), sender=Sender(tap.user_id, tap.user_id), text=tap.choice,
                        message_id=message_id, received_at=app.clock.now(), mentioned=True, button=tap.choice,
                        question_key=question)
    note, replies = split_notes(app.handle(incoming), tap.user_id, question, "dingtalk")
    if note is None:
        return TapOutcome(tap, None, replies)
    data = cards.answered_data(note.answer, note.text) if note.answer else cards.stale_data(note.text)
    return TapOutcome(tap, data, replies)
