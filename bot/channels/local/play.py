"""Playing a .chat script on a simulated clock, and the interactive chat in real time.

Both take `attach`: how a fresh app gets its LocalChannel (the registry's typed `local_channel`)."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from bot.channels.local.channel import LocalChannel
from bot.channels.local.script import DEFAULT_GROUP, PRIVATE, Restart, Say, ScriptError, Step, SwitchGroup, Wait
from bot.clock import ManualClock

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["play_script", "chat_interactively", "Attach"]

Attach = Callable[["App", TextIO], LocalChannel]  # a LocalChannel printing to the stream, added to the app


def _advance(app: App, clock: ManualClock, target: datetime) -> None:
    """Fire everything due up to `target` (contest deadlines, scheduled jobs, outbox pushes), each at
    its own due time, in order."""
    while (due := app.next_due()) is not None and due <= target:
        clock.set(max(due, clock.now()))
        if not app.fire_due_timers() and app.next_due() == due:
            break  # nothing could be done at `due` (a push with no channel): do not spin
    clock.set(target)


def play_script(steps: list[Step], make_app: Callable[[ManualClock], App], clock: ManualClock,
                out: TextIO, *, attach: Attach) -> None:
    """Play parsed steps on the simulated clock and print the transcript."""
    app = make_app(clock)
    channel = attach(app, out)
    app.start()
    group = DEFAULT_GROUP
    try:
        for step in steps:
            if isinstance(step, Wait):
                try:
                    until = clock.now() + step.delta
                except OverflowError:
                    raise ScriptError(step.line, "模拟时间超出了公元 9999 年") from None
                _advance(app, clock, until)
            elif isinstance(step, SwitchGroup):
                group = step.name
            elif isinstance(step, Say):
                channel.say(step.name, group, step.text)
            elif isinstance(step, Restart):
                app.close()
                print(f"{clock.now():%Y-%m-%d %H:%M:%S} --- 重新启动 ---", file=out)
                app = make_app(clock)
                channel = attach(app, out)
                app.start()
    finally:
        app.close()


async def chat_interactively(app: App, name: str, group: str, stdin: TextIO | None = None,
                             out: TextIO | None = None, *, attach: Attach) -> None:
    """Type as `name` in `group` in real time; contest timers fire while you think."""
    stdin, out = stdin or sys.stdin, out or sys.stdout  # read now: a test harness may have replaced them
    if isinstance(stdin, io.TextIOWrapper):  # a line typed in GBK is told of below, not a UnicodeDecodeError
        stdin.reconfigure(errors="surrogateescape")
    channel = attach(app, out)
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
            if _undecodable(line):  # a terminal set to GBK: Python kept the bytes it could not read as escapes
                print("这一行不是 UTF-8 编码，没有发送：请把终端的字符编码设为 UTF-8 后再输入。", file=out)
            elif line.strip():
                channel.say(name, group, line.rstrip("\n"), echo=not stdin.isatty())
    finally:
        ticker.cancel()
        app.close()


def _undecodable(line: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in line)
