"""The dashboard under test: an app with two branches and an admin, a TestClient on the real build_web, and a
login that goes the way a member's does (a link, the page, the button)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from bot.services.roster import import_roster
from bot.services.roster_file import RosterRow
from bot.storage.models import Branch, Member
from bot.storage.web_logins import issue_login
from bot.web import build_web
from tests.helpers import T0, make_app

__all__ = ["PEOPLE", "web_app", "client_for", "link_for", "login", "ids", "branch_ids"]

# name, branch, role
PEOPLE = [("老周", "机关党委", "admin"), ("张书记", "第一支部", "secretary"), ("张三", "第一支部", "member"),
          ("李四", "第一支部", "member"), ("王书记", "第二支部", "secretary"), ("钱七", "第二支部", "member")]


def web_app(tmp_path: Path, clock: ManualClock | None = None, **overrides: Any) -> App:
    app = make_app(tmp_path, clock or ManualClock(T0), **overrides)
    rows = [RosterRow(i, name, branch, role, {"local": name}) for i, (name, branch, role) in enumerate(PEOPLE, 2)]
    import_roster(app.db, rows=rows, now=app.clock.now(), label="roster.csv", sleep=lambda _: None)
    app.dispatcher.forget_directory()
    return app


def ids(app: App) -> dict[str, int]:
    with app.db.session() as session:
        return {m.name: m.id for m in session.exec(select(Member)) if m.id is not None}


def branch_ids(app: App) -> dict[str, int]:
    with app.db.session() as session:
        return {b.name: b.id for b in session.exec(select(Branch)) if b.id is not None}


def client_for(app: App) -> TestClient:
    return TestClient(build_web(app), base_url="http://127.0.0.1:8080", follow_redirects=False)


def link_for(app: App, name: str) -> str:
    """The path of a fresh login link for `name`."""
    with app.db.session() as session:
        token = issue_login(session=session, member_id=ids(app)[name], now=app.clock.now(),
                            minutes=app.settings.web.link_minutes)
        session.commit()
    return f"/login/{token}"


def press_enter(client: TestClient, path: str) -> Any:
    """Open the link's page and press 进入管理后台 (the form's double-submit token read from the page)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    pre = re.search(r'name="pre" value="([^"]+)"', page.text)
    assert pre is not None
    return client.post(path, data={"pre": pre[1]})


def login(app: App, name: str) -> TestClient:
    client = client_for(app)
    response = press_enter(client, link_for(app, name))
    assert response.status_code == 303, response.text
    return client
