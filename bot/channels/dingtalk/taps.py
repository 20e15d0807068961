"""The question cards the DingTalk channel sent, and the translation of a tap on one of them.

A tap goes to the core as its choice (`Incoming.button`) and the question its card was for
(`Incoming.question_key`, read back from the card's outTrackId). Whether it counts (an answer, a
repeat, an older question's card, a card the core does not know) is the core's decision; its note
for the member who tapped (`Outgoing.private_to`) becomes that member's private card data, and the
other replies go to the chat (bot/channels/common/private_notes.py). What is remembered here is
only what translation needs: each card's chat, and each question's cards, to close them all when
the question is revealed; in memory, and in the database (table card_sent), because a tap often does
not name its conversation (`spaceId`) and a card outlives a restart."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.app import App
from bot.channels.common.private_notes import split_notes
from bot.channels.common.reply_cache import TTLCache
from bot.channels.dingtalk import cards
from bot.messages import Chat, Incoming, Outgoing, Sender
from bot.storage.cards_sent import CardSent, card_chat, cards_of_question, remember_card
from bot.storage.db import Database

__all__ = ["CardBook", "TapOutcome", "answer_tap", "REMEMBERED"]

log = logging.getLogger(__name__)

REMEMBERED = 2000  # cards and questions kept in memory for taps and closing


class CardBook:
    """What is remembered of the cards sent (the last 2,000 of each kind in memory; in `db`, 30 days)."""

    def __init__(self, db: Database | None = None, channel: str = "dingtalk",
                 now: Callable[[], datetime] = datetime.now) -> None:
        self._db, self._channel, self._now = db, channel, now
        self._chats: TTLCache[Chat] = TTLCache(math.inf, REMEMBERED)  # outTrackId -> its chat
        self._by_question: TTLCache[list[str]] = TTLCache(math.inf, REMEMBERED)  # question key -> outTrackIds

    def sending(self, track_id: str, chat: Chat) -> None:
        """Known before it is delivered: a member may tap it before DingTalk's answer reaches us."""
        self._chats.put(track_id, chat)

    def delivered(self, track_id: str) -> None:
        question = cards.question_of(track_id)
        self._by_question.put(question, [*(self._by_question.get(question) or []), track_id])
        chat = self._chats.get(track_id)
        if self._db is None or chat is None:
            return
        try:
            with self._db.session() as session:
                remember_card(session=session, row=CardSent(
                    track_id=track_id, channel=self._channel, question_key=question[:200], chat_id=chat.chat_id,
                    is_group=chat.is_group, chat_name=chat.name or "", sent_at=self._now()))
                session.commit()
        except Exception:  # memory still knows it until a restart
            log.warning("dingtalk: card %s not stored", track_id, exc_info=True)

    def close(self, key: str) -> list[str]:
        """The question `key` is revealed: the ids of its cards, to close them for everyone."""
        known = self._by_question.get(key)
        if known is not None or self._db is None:
            return known or []
        with self._db.session() as session:  # cards sent before a restart
            return cards_of_question(session=session, channel=self._channel, question_key=key[:200])

    def chat_of(self, tap: cards.CardTap, channel: str) -> Chat:
        """The card's chat; for a card not known here, the conversation DingTalk names, else the
        member's private chat with the robot (the core answers a tap on an unknown card to them)."""
        chat = self._chats.get(tap.out_track_id)
        if chat is not None:
            return chat
        if self._db is not None:
            with self._db.session() as session:
                row = card_chat(session=session, track_id=tap.out_track_id)
            if row is not None:
                chat = Chat(channel, row.chat_id, row.is_group, name=row.chat_name)
                self._chats.put(tap.out_track_id, chat)
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
