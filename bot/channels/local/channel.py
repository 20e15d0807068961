"""The local chat channel: each line typed (or read from a .chat script) is an Incoming for the same
dispatcher as WeCom's and DingTalk's, each Outgoing a transcript line."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from bot.channels.local.script import PRIVATE
from bot.messages import Chat, Incoming, Outgoing, Sender

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["LocalChannel", "CHANNEL", "chat_for"]

CHANNEL = "local"


def chat_for(group: str) -> Chat:
    if group == PRIVATE:
        return Chat(CHANNEL, "", False, PRIVATE)
    return Chat(CHANNEL, group, True, group)


class LocalChannel:
    name = CHANNEL

    def __init__(self, app: App, out: TextIO, bot_name: str) -> None:
        self._app, self._out, self._bot_name = app, out, bot_name

    def _line(self, when: datetime, place: str, who: str, text: str) -> None:
        first, *rest = text.splitlines() or [""]
        print(f"{when:%Y-%m-%d %H:%M:%S} [{place}] {who}: {first}", file=self._out)
        for line in rest:
            print(f"    {line}", file=self._out)
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
        self._line(self._app.clock.now(), place, self._bot_name, message.text)

    def say(self, name: str, group: str, text: str, echo: bool = True) -> None:
        chat = chat_for(group)
        if not chat.is_group:
            chat = Chat(CHANNEL, name, False, PRIVATE)
        now = self._app.clock.now()
        if echo:
            place = group if chat.is_group else f"{PRIVATE}:{name}"
            self._line(now, place, name, text)
        incoming = Incoming(chat=chat, sender=Sender(name, name), text=text,
                            message_id=uuid.uuid4().hex, received_at=now)
        for message in self._app.handle(incoming):
            self.send(message)
