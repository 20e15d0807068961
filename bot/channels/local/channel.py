"""The local chat channel: each line typed (or read from a .chat script) is an Incoming for the same
dispatcher as WeCom's and DingTalk's, each Outgoing a transcript line."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from bot.channels.common.mentions import strip_mentions
from bot.channels.local.script import PRIVATE
from bot.messages import Chat, Incoming, Outgoing, Sender

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["LocalChannel", "CHANNEL", "chat_for"]

CHANNEL = "local"
# 「[点击 B]」 taps B on the group's latest card; 「[点击 B 第1题]」 on question 1's card of the latest contest;
# 「[点击 B 卡片 contest:9:q0]」 on a card of that key (an old or a forged one)
_TAP = re.compile(r"^\[点击\s*([^\s\]]+)(?:\s*第\s*([0-9]{1,3})\s*题|\s+卡片\s+([^\s\]]+))?\s*\]$")


def chat_for(group: str) -> Chat:
    if group == PRIVATE:
        return Chat(CHANNEL, "", False, PRIVATE)
    return Chat(CHANNEL, group, True, group)


class LocalChannel:
    name = CHANNEL

    def __init__(self, app: App, out: TextIO, bot_name: str) -> None:
        self._app, self._out, self._bot_name = app, out, bot_name
        self._cards: dict[str, list[str]] = {}  # group -> keys of the question cards it was sent, in order

    def _line(self, when: datetime, place: str, who: str, text: str) -> None:
        first, *rest = text.splitlines() or [""]
        print(f"{when:%Y-%m-%d %H:%M:%S} [{place}] {who}: {first}", file=self._out)
        for line in rest:
            print(f"    {line}" if line else "", file=self._out)
        self._out.flush()

    def router(self) -> None:
        return None  # the terminal has no HTTP callbacks

    async def start(self) -> None:
        pass  # printing needs no task of its own

    async def stop(self) -> None:
        pass

    async def deliver(self, message: Outgoing) -> None:
        self.send(message)  # printed at once: nothing to confirm

    def send(self, message: Outgoing) -> None:
        place = message.chat.name if message.chat.is_group else f"{PRIVATE}:{message.chat.chat_id}"
        if message.key and message.choices:
            self._cards.setdefault(message.chat.chat_id, []).append(message.key)
        who = f"{self._bot_name} → {message.private_to}（仅本人可见）" if message.private_to else self._bot_name
        self._line(self._app.clock.now(), place, who, message.text)

    def _card_key(self, chat_id: str, question: str | None, key: str | None) -> str:
        """The key of the card a 「[点击 …]」 taps: named, question N's of the latest contest, or the latest."""
        if key is not None:
            return key
        cards = self._cards.get(chat_id, [])
        if question is None:
            return cards[-1] if cards else ""
        latest = cards[-1].rsplit(":", 1)[0] if cards else ""
        return f"{latest}:q{int(question) - 1}" if latest else ""

    def say(self, name: str, group: str, text: str, echo: bool = True) -> None:
        chat = chat_for(group)
        if not chat.is_group:
            chat = Chat(CHANNEL, name, False, PRIVATE)
        now = self._app.clock.now()
        if echo:
            place = group if chat.is_group else f"{PRIVATE}:{name}"
            self._line(now, place, name, text)
        tap = _TAP.match(text.strip()) if chat.is_group else None
        button = tap[1] if tap else None
        question_key = self._card_key(chat.chat_id, tap[2], tap[3]) if tap else None
        if button is None:  # 「@学习助手 帮助」 is 「帮助」, as on WeCom and DingTalk
            text = strip_mentions(text, self._bot_name)
        incoming = Incoming(chat=chat, sender=Sender(name, name), text=button or text,
                            message_id=uuid.uuid4().hex, received_at=now, button=button, question_key=question_key)
        for message in self._app.handle(incoming):
            self.send(message)
