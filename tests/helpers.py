"""Shared test helpers: message factories, a recording channel and an app on a temporary database.

Nothing here writes outside the `tmp_path` a test passes in."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import uvicorn

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.messages import Chat, Incoming, Outgoing, Sender
from bot.settings import Settings, load_settings
from bot.storage.db import Database

__all__ = [
    "T0", "CHANNEL", "TEST_BANK_NAME", "TEST_BANK_YAML", "write_bank", "settings_for", "make_app",
    "group_chat", "private_chat", "group_msg", "private_msg", "RecordingChannel", "texts", "FakeTime", "Sleeps",
    "serving", "Uvicorn", "enrol", "create_database",
]

T0 = datetime(2026, 3, 2, 9, 0)  # a Monday
CHANNEL = "local"
TEST_BANK_NAME = "测试题库"

# Two questions of each type; short limits so deadlines are near.
TEST_BANK_YAML = """\
name: 测试题库
description: 测试用题库
time_limit: 10
questions:
  - type: single
    question: 党的最高领导机关是（）。
    options: [党的全国代表大会和它所产生的中央委员会, 中央政治局, 中央书记处, 中央军事委员会]
    answer: A
    explanation: 依据党章第十条。
  - type: single
    question: 预备党员的预备期为（）。
    options: [半年, 一年, 两年, 三年]
    answer: B
  - type: multiple
    question: “三会一课”中的“三会”是指（）。
    options: [支部党员大会, 支部委员会会议, 党小组会, 民主生活会]
    answer: ABC
  - type: multiple
    question: 下列属于党的纪律处分的有（）。
    options: [警告, 记大过, 开除党籍, 降级]
    answer: AC
  - type: judge
    question: 党员有退党的自由。
    answer: 对
  - type: judge
    question: 留党察看最长不超过一年。
    answer: 错
  - type: blank
    question: 党的思想路线是一切从实际出发，理论联系实际，（），在实践中检验真理和发展真理。
    answer: 实事求是
  - type: blank
    question: 中共一大会议最后一天转移到浙江（）的一艘游船上举行。
    answer: [嘉兴南湖, 南湖]
"""


def write_bank(directory: Path, text: str = TEST_BANK_YAML, filename: str = "test.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    path.write_text(text, encoding="utf-8")
    return path


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings with the database in tmp_path, the test bank as default and `overrides` merged
    section by section (e.g. groups={"学习群": "第一党支部"}, quizzes={"acknowledge_answers": False})."""
    bank_dir = tmp_path / "banks"
    if not (bank_dir / "test.yaml").exists():
        write_bank(bank_dir)
    base = {
        "database": {"url": f"sqlite:///{tmp_path}/t.db"},
        "quizzes": {"bank_dirs": [str(bank_dir)], "default_bank": TEST_BANK_NAME},
    }
    return load_settings(Path("/dev/null"), _merge(base, overrides))


def make_app(tmp_path: Path, clock: ManualClock, *, seed: int = 1, **overrides: Any) -> App:
    """An app on `tmp_path/t.db` (schema created, not yet started: attach channels, then call start())."""
    app = build_app(settings_for(tmp_path, **overrides), clock=clock, seed=seed)
    app.db.create_schema()
    return app


# ----- messages -----



def _message_ids() -> Iterator[int]:
    """One message-id counter however this module is imported: most tests say `from helpers import`, some `from
    tests.helpers import`, which makes two modules; with a counter each, a test using both sent two messages with
    one id and the second was dropped as a platform retry (test_points_chat failed when run alone)."""
    for name in ("helpers", "tests.helpers"):
        other = sys.modules.get(name)
        if other is not None and hasattr(other, "_ids"):
            return other._ids  # type: ignore[no-any-return]
    return itertools.count(1)


_ids = _message_ids()


def group_chat(group: str = "第一党支部") -> Chat:
    return Chat(CHANNEL, group, True, group)


def private_chat(user: str) -> Chat:
    return Chat(CHANNEL, user, False, "私聊")


def group_msg(name: str, text: str, group: str = "第一党支部", *, at: datetime = T0,
              message_id: str | None = None) -> Incoming:
    """`name` (also their platform user id) says `text` in `group`."""
    return Incoming(chat=group_chat(group), sender=Sender(name, name), text=text,
                    message_id=message_id or f"m{next(_ids)}", received_at=at)


def private_msg(name: str, text: str, *, at: datetime = T0, message_id: str | None = None) -> Incoming:
    return Incoming(chat=private_chat(name), sender=Sender(name, name), text=text,
                    message_id=message_id or f"m{next(_ids)}", received_at=at)


class RecordingChannel:
    """Collects what the app sends proactively (timer-driven reveals and results)."""

    name = CHANNEL

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)

    async def deliver(self, message: Outgoing) -> None:
        self.send(message)

    def router(self) -> None:
        return None

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.sent]


def started_recording(tmp_path: Path, clock: ManualClock, database_url: str) -> tuple[App, RecordingChannel]:
    """The app on `database_url`, started, with a RecordingChannel collecting what it sends proactively."""
    app = make_app(tmp_path, clock, database={"url": database_url})
    channel = RecordingChannel()
    app.add_channel(channel)
    app.start()
    return app, channel


def advance_to(app: App, clock: ManualClock, to: datetime) -> None:
    """Move the clock to `to`, firing every timer and job due on the way, each at its own time."""
    while (due := app.next_due()) is not None and due <= to:
        clock.set(max(due, clock.now()))
        if not app.fire_due_timers() and app.next_due() == due:
            break
    clock.set(to)


def texts(messages: list[Outgoing]) -> list[str]:
    return [m.text for m in messages]


class FakeTime:
    """A clock that moves only when the code under test sleeps on it (rate limits and backoff
    tested without waiting)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


class Sleeps:
    """An injected `sleep` (and its `clock`) that the test drives: every sleep waits until the test
    ends it with `end`, which moves the clock on by its length. `asked` lists every length asked for,
    in order; a sleep the code under test gives up (cancelled) is forgotten. For waits whose timing
    is the thing under test: reconnect backoff, keepalive pings, rate windows."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.asked: list[float] = []
        self._pending: list[tuple[float, asyncio.Future[None]]] = []
        self._changed: asyncio.Event | None = None

    def clock(self) -> float:
        return self.now

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        entry = (seconds, asyncio.get_running_loop().create_future())
        self._pending.append(entry)
        self._event().set()
        try:
            await entry[1]
        finally:
            if entry in self._pending:
                self._pending.remove(entry)

    def pending(self) -> list[float]:
        """The lengths of the sleeps under way, oldest first."""
        return [seconds for seconds, _ in self._pending]

    async def waiting(self, match: Callable[[float], bool] = lambda seconds: True, timeout: float = 5.0) -> float:
        """Until a sleep that `match`es its length is under way; its length."""
        event = self._event()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            event.clear()
            found = [seconds for seconds, _ in self._pending if match(seconds)]
            if found:
                return found[0]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no matching sleep under way; asked so far: {self.asked}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def end(self, match: Callable[[float], bool] = lambda seconds: True, timeout: float = 5.0) -> float:
        """End the oldest sleep that `match`es (waiting for one), the clock moved on by its length;
        its length."""
        await self.waiting(match, timeout)
        seconds, future = next((s, f) for s, f in self._pending if match(s))
        self._pending.remove((seconds, future))
        self.now += seconds
        future.set_result(None)
        return seconds


class Uvicorn(uvicorn.Server):
    """uvicorn, as `studybot run` serves, saying when it listens: `listening` is set then (a
    threading.Event: a test waits on it from any thread)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()

    def wait_listening(self, timeout: float = 5.0) -> None:
        assert self.listening.wait(timeout), "the server did not start"

    async def listening_soon(self, timeout: float = 5.0) -> None:
        await asyncio.to_thread(self.wait_listening, timeout)


@contextlib.asynccontextmanager
async def serving(app: App, adapter: Any, *, service: bool = False) -> AsyncIterator[None]:
    """The app started with `adapter` as a channel and its contest timers ticking, as `serve()` runs
    them; stopped and closed on the way out. `service`: scheduled jobs and the outbox are left to
    APScheduler and the async worker, as under `studybot run`."""
    from bot.service import tick_timers

    app.add_channel(adapter)
    app.start(service=service)
    stop = asyncio.Event()
    ticker = asyncio.create_task(tick_timers(app, stop))
    await adapter.start()
    try:
        yield
    finally:
        stop.set()
        await ticker
        await adapter.stop()
        app.close()


# ----- the roster -----

def enrol(app: App, secretary: str | None, *members: str, branch: str = "第一党支部", channel: str = CHANNEL) -> None:
    """Import a roster putting `secretary` (书记: their contests are scored) and `members` in `branch`, as a branch
    secretary would: a contest question then waits for exactly these people before it closes early. Each
    person's account on `channel` (their platform user id in that test) is their name."""
    from bot.services.roster import import_roster
    from bot.services.roster_file import RosterRow

    rows = [RosterRow(i, name, branch, "secretary" if name == secretary else "member", {channel: name})
            for i, name in enumerate([*([secretary] if secretary else []), *members], start=2)]
    import_roster(app.db, rows=rows, now=app.clock.now(), label="roster.csv", sleep=lambda _: None)
    app.dispatcher.forget_directory()


def create_database(url: str) -> None:
    """An empty database at `url`, as the first `studybot run` leaves it: the commands that only read (rank, doctor,
    bank list, …) refuse a SQLite file that is not there."""
    db = Database(url)
    try:
        db.create_schema()
    finally:
        db.dispose()
