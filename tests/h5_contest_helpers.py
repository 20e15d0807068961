"""A contest under way in 第一支部's chat group, opened on the live contest page too (tests of /h5/contest/)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from bot.storage.models import ContestAnswer
from tests.helpers import T0, RecordingChannel, group_msg
from tests.web_helpers import ids, web_app

__all__ = ["Live", "live_contest", "csrf_of", "stored", "GROUP"]

GROUP = "第一支部"  # the chat group of 第一支部 (the roster's branch of 张书记, 张三, 李四)


@dataclass
class Live:
    app: App
    clock: ManualClock
    channel: RecordingChannel
    contest_id: int
    started: list[Any]

    @property
    def path(self) -> str:
        return f"/h5/contest/{self.contest_id}"

    def key(self, index: int) -> str:
        return f"contest:{self.contest_id}:q{index}"

    def running(self) -> Any:
        return self.app.contests.by_id(self.contest_id)

    def chat(self, name: str, text: str) -> list[Any]:
        return self.app.handle(group_msg(name, text, GROUP, at=self.clock.now()))


def live_contest(tmp_path: Path, questions: int = 3, **overrides: Any) -> Live:
    clock = ManualClock(T0)
    overrides.setdefault("h5", {"contest_links": "on"})
    overrides.setdefault("web", {"base_url": "http://dj.example.com"})
    app = web_app(tmp_path, clock, **overrides)
    channel = RecordingChannel()
    app.add_channel(channel)
    app.start()
    started = app.handle(group_msg("张书记", f"开始竞赛 测试题库 {questions}", GROUP, at=clock.now()))
    link = re.search(r"/h5/contest/(\d+)", started[0].text)
    assert link is not None, started[0].text
    return Live(app, clock, channel, int(link[1]), started)


def csrf_of(client: TestClient, path: str) -> str:
    page = client.get(path)
    token = re.search(r'data-csrf="([^"]*)"', page.text)
    assert token is not None and token[1], page.text
    return token[1]


def stored(app: App, contest_id: int) -> list[tuple[int, str, str]]:
    """(question index, member name, answer) of every stored answer."""
    names = {v: k for k, v in ids(app).items()}
    with app.db.session() as session:
        rows = session.exec(select(ContestAnswer).where(ContestAnswer.contest_id == contest_id)).all()
        return sorted((r.question_index, names[r.member_id], r.answer) for r in rows)
