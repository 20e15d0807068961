"""The dashboard's door: one-time links (once, expiry, a preview does not use them up), sessions with an idle
timeout on the injected clock, CSRF on POST forms, security headers, `管理后台` and `studybot web link`."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.storage.models_web import WebAudit, WebLogin
from bot.web.auth import SESSION_COOKIE
from tests.helpers import T0, group_msg, private_msg, texts
from tests.web_helpers import client_for, link_for, login, press_enter, web_app


def test_a_link_logs_in_once_and_the_second_use_is_refused(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    path = link_for(app, "张三")
    client = client_for(app)
    assert client.get(path).status_code == 200  # the page only: a chat client's preview does not use the link
    entered = press_enter(client, path)
    assert entered.status_code == 303 and entered.headers["location"] == "/h5/"  # a plain member: their pages
    cookie = entered.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    home = client.get("/")
    assert home.status_code == 200 and "张三" in home.text

    again = client_for(app)
    refused = again.get(path)
    assert refused.status_code == 410 and "链接已使用或已过期，请重新获取" in refused.text
    pre = again.cookies.get("studybot_login")
    assert pre is None  # no form for a used link
    assert again.get("/").status_code == 401
    with app.db.session() as session:
        assert [a.action for a in session.exec(select(WebAudit))].count("login") == 1
        assert all(len(row.token_hash) == 64 and row.token_hash not in path for row in session.exec(select(WebLogin)))


def test_a_link_used_twice_at_once_logs_in_only_once(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    path = link_for(app, "张三")
    first, second = client_for(app), client_for(app)
    pages = [first.get(path), second.get(path)]  # both opened before either pressed the button
    forms = [re.search(r'name="pre" value="([^"]+)"', p.text)[1] for p in pages]  # type: ignore[index]
    assert first.post(path, data={"pre": forms[0]}).status_code == 303
    late = second.post(path, data={"pre": forms[1]})
    assert late.status_code == 410 and SESSION_COOKIE not in late.headers.get("set-cookie", "")


def test_an_expired_link_is_refused(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    app = web_app(tmp_path, clock)
    path = link_for(app, "张三")
    clock.set(clock.now() + timedelta(minutes=10, seconds=1))
    assert client_for(app).get(path).status_code == 410
    assert client_for(app).get("/login/not-a-token").status_code == 410


def test_the_login_form_needs_its_own_cookie(tmp_path: Path) -> None:
    """Another site posting a stolen or its own link's form: no double-submit cookie, no session."""
    app = web_app(tmp_path)
    path = link_for(app, "张三")
    response = client_for(app).post(path, data={"pre": "guess"})
    assert response.status_code == 403
    assert client_for(app).get(path).status_code == 200  # and the link is still unused


def test_a_session_ends_after_the_idle_time_and_moves_on_with_use(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    app = web_app(tmp_path, clock)
    client = login(app, "张三")
    for _ in range(3):  # used every 20 minutes: still in after an hour
        clock.set(clock.now() + timedelta(minutes=20))
        assert client.get("/").status_code == 200
    clock.set(clock.now() + timedelta(minutes=31))
    assert client.get("/").status_code == 401


def test_a_forged_cookie_is_nobody(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    client = client_for(app)
    client.cookies.set(SESSION_COOKIE, '[1,"2026-03-02T09:00:00","2026-03-02T09:00:00","x"].bad')
    assert client.get("/").status_code == 401


def test_logout_needs_the_csrf_token(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    client = login(app, "张三")
    assert client.post("/logout", data={"csrf": "wrong"}).status_code == 403
    assert client.post("/logout").status_code == 403
    assert client.get("/").status_code == 200
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert token is not None
    out = client.post("/logout", data={"csrf": token[1]})
    assert out.status_code == 303
    assert client.get("/").status_code == 401


def test_dashboard_responses_carry_the_security_headers(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    client = login(app, "张三")
    for response in (client.get("/"), client_for(app).get("/"), client.get("/login")):
        headers = response.headers
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "<script>" not in response.text and "onclick" not in response.text
    assert client.get("/static/vendor/htmx.min.js").status_code == 200
    assert client.get("/healthz").json()["ok"] is True


def test_the_chat_command_answers_only_in_private(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    app.start()
    [reply] = texts(app.handle(private_msg("张三", "管理后台")))
    assert "10 分钟内有效" in reply and "仅可使用一次" in reply
    path = re.search(r"http://127\.0\.0\.1:8080(/login/\S+)", reply)
    assert path is not None
    assert press_enter(client_for(app), path[1]).status_code == 303

    [group] = texts(app.handle(group_msg("张三", "管理后台", group="第一支部")))
    assert "私聊" in group and "/login/" not in group


def test_studybot_web_link(tmp_path: Path, cli_config: Path) -> None:
    app = web_app(tmp_path, database={"url": f"sqlite:///{tmp_path / 't.db'}"})
    app.close()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(build_cli(), ["web", "link", *args, "--config", str(cli_config)],
                             obj=CliContext(ManualClock(T0)))

    result = run("张三")
    assert result.exit_code == 0, result.output
    path = re.search(r"http://127\.0\.0\.1:8080(/login/\S+)", result.stdout)
    assert path is not None
    app = web_app(tmp_path, database={"url": f"sqlite:///{tmp_path / 't.db'}"})
    assert press_enter(client_for(app), path[1]).status_code == 303
    unknown = run("无名氏")
    assert unknown.exit_code == 2 and "没有成员「无名氏」" in unknown.stderr
