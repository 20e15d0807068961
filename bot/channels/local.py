"""The local chat channel: a group chat in the terminal, and .chat scripts on a simulated clock.

An ordinary adapter: it builds an Incoming for each line, calls the same dispatcher as
WeCom and DingTalk, and prints each Outgoing as a transcript line."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from bot.app import App
from bot.chatscript import DEFAULT_GROUP, PRIVATE, Restart, Say, Step, SwitchGroup, Wait
from bot.clock import ManualClock
from bot.messages import Chat, Incoming, Outgoing, Sender

__all__ = ["LocalChannel", "play_script", "chat_interactively", "CHANNEL"]

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


def _advance(app: App, clock: ManualClock, target: datetime) -> None:
    """Fire everything due up to `target` (contest deadlines, scheduled jobs, outbox pushes), each at
    its own due time, in order."""
    while (due := app.next_due()) is not None and due <= target:
        clock.set(max(due, clock.now()))
        if not app.fire_due_timers() and app.next_due() == due:
            break  # nothing could be done at `due` (a push with no channel): do not spin
    clock.set(target)


def play_script(steps: list[Step], make_app: Callable[[ManualClock], App], clock: ManualClock,
                out: TextIO) -> None:
    """Play parsed steps on the simulated clock and print the transcript."""
    app = make_app(clock)
    channel = LocalChannel(app, out, app.settings.bot.name)
    app.add_channel(channel)
    app.start()
    group = DEFAULT_GROUP
    try:
        for step in steps:
            if isinstance(step, Wait):
                _advance(app, clock, clock.now() + step.delta)
            elif isinstance(step, SwitchGroup):
                group = step.name
            elif isinstance(step, Say):
                channel.say(step.name, group, step.text)
            elif isinstance(step, Restart):
                app.close()
                print(f"{clock.now():%Y-%m-%d %H:%M:%S} --- 重新启动 ---", file=out)
                app = make_app(clock)
                channel = LocalChannel(app, out, app.settings.bot.name)
                app.add_channel(channel)
                app.start()
    finally:
        app.close()


async def chat_interactively(app: App, name: str, group: str, stdin: TextIO | None = None,
                             out: TextIO | None = None) -> None:
    """Type as `name` in `group` in real time; contest timers fire while you think."""
    stdin, out = stdin or sys.stdin, out or sys.stdout  # read now: a test harness may have replaced them
    channel = LocalChannel(app, out, app.settings.bot.name)
    app.add_channel(channel)
    app.start()
    place = "私聊" if group == PRIVATE else f"群「{group}」"
    print(f"您以「{name}」的身份进入{place}。发送「帮助」查看命令，输入 /exit 或按 Ctrl-D 退出。", file=out)

    async def tick() -> None:
        while True:
            app.fire_due_timers()
            await asyncio.sleep(0.2)

    ticker = asyncio.create_task(tick())
    try:
        while True:
            line = await asyncio.to_thread(stdin.readline)
            if not line or line.strip() in ("/exit", "/quit", "退出"):
                break
            if line.strip():
                channel.say(name, group, line.rstrip("\n"), echo=not stdin.isatty())
    finally:
        ticker.cancel()
        app.close()
