"""/healthz and /readyz: what a load balancer reads, with no login, no personal data and nothing cached; /readyz says
503 and why when the database does not answer, within its timeout, without piling up threads."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import make_app, settings_for
from sqlmodel import func, select

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.storage.db import Database
from bot.storage.models import ContestAnswer
from bot.storage.readiness import ReadinessProbe
from bot.web import build_dashboard, build_web

needs_psycopg = pytest.mark.skipif(importlib.util.find_spec("psycopg") is None,
                                   reason="psycopg（PostgreSQL 驱动）未安装")


@pytest.fixture
def unanswering() -> Iterator[int]:
    """A port that takes connections and never says a word: a database server that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_both_doors_say_ok_and_ready_with_the_role_and_nothing_cached(app: App, database_url: str) -> None:
    expected_role = "single" if database_url.startswith("sqlite") else "web"  # outside a cluster
    for web in (build_web(app), build_dashboard(app)):  # `studybot run`, `studybot web`
        client = TestClient(web)
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["ok"] is True
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"database": "ok", "role": expected_role}
        for response in (health, ready):
            assert response.headers["cache-control"] == "no-store"
    assert TestClient(build_web(app)).get("/healthz").json() == {"ok": True, "channels": ["local"]}


def test_the_role_is_whatever_decides_leadership_says(tmp_path: Path, clock: ManualClock) -> None:
    app = make_app(tmp_path, clock)
    client = TestClient(build_web(app))
    assert client.get("/readyz?role=leader").status_code == 200  # the single bot holds its contests
    app.role = lambda: "standby"
    assert client.get("/readyz").json() == {"database": "ok", "role": "standby"}
    # the health check of a pool for what only the leader serves (the live contest pages)
    refused = client.get("/readyz?role=leader")
    assert refused.status_code == 503
    assert refused.json() == {"database": "ok", "role": "standby", "reason": "not the leader"}
    app.role = lambda: "leader"
    assert client.get("/readyz?role=leader").status_code == 200
    app.close()


def test_a_standby_serves_no_live_contest_page_and_stores_nothing(tmp_path: Path, clock: ManualClock) -> None:
    """A contest's state lives in the leader's memory: at a standby every /h5/contest/… route is 503 with
    Retry-After (a load balancer tries the leader), before anything is read or stored."""
    app = make_app(tmp_path, clock)
    app.role = lambda: "standby"
    client = TestClient(build_web(app))
    for path in ("/h5/contest/1", "/h5/contest/1/state", "/h5/contest/1/events"):
        page = client.get(path)
        assert page.status_code == 503 and page.headers["retry-after"] == "2", path
        assert page.text == "竞赛页面正在切换服务器，请稍候几秒刷新本页。"
    answer = client.post("/h5/contest/1/answer", data={"choice": "A", "csrf": "x"})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    assert answer.json() == {"ok": False, "message": "这次作答没有送达（服务器正在切换），没有记录，请再点一次。",
                             "answer": ""}
    with app.db.session() as session:
        assert session.exec(select(func.count()).select_from(ContestAnswer)).one() == 0
    app.close()


@needs_psycopg
def test_a_database_that_refuses_is_503_with_the_reason(tmp_path: Path, clock: ManualClock) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app = make_app_without_schema(tmp_path, clock, f"postgresql+psycopg://postgres@127.0.0.1:{port}/studybot")
    for web in (build_web(app), build_dashboard(app)):
        response = TestClient(web).get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["database"] == "unavailable" and body["role"] == "web"  # on PostgreSQL, outside the cluster
        assert body["reason"].startswith("数据库不可用：") and str(port) in body["reason"]
        assert response.headers["cache-control"] == "no-store"
        assert TestClient(web).get("/healthz").status_code == 200  # the process is up all the same
    app.close()


@needs_psycopg
def test_a_database_that_hangs_is_told_within_the_timeout_and_gets_one_probe_at_a_time(unanswering: int) -> None:
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{unanswering}/studybot")
    probe = ReadinessProbe(db, timeout=0.2)
    before = probes()
    assert asyncio.run(probe.problem()) == "数据库 0.2 秒内没有响应"
    assert asyncio.run(probe.problem()) == "数据库对上一次检查仍未响应（超过 0.2 秒）"
    assert probes() == before + 1  # the one hung probe, not one per request
    db.engine.dispose()


def probes() -> int:
    return sum(thread.name == "readyz-probe" for thread in threading.enumerate())


def make_app_without_schema(tmp_path: Path, clock: ManualClock, url: str) -> App:
    return build_app(settings_for(tmp_path, database={"url": url}), clock=clock)
