"""The members' pages' login (/h5/login) against a fake Official Account OAuth server on loopback
(tests/fakes/oauth_platforms.py): inside WeChat the web authorisation (snsapi_base) → the callback → openid → the
member, or the bind page the first time (name + the secretary's code) and silent afterwards; what is refused (a code
reused, a wrong, missing or replayed state, every wrong binding) with nothing stored; `next` stays on this site;
inside WeCom the dashboard's login comes back to `next`; `studybot members codes`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fakes.oauth_platforms import FakeLoginHost, FakeWeChatMPOAuth
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from bot.storage.bind_codes import EXPIRED, TAKEN, TOO_MANY, USED, WRONG, issue_codes
from bot.storage.models import Identity, Member
from bot.storage.models_web import BindCode, WebAudit
from bot.web.auth import SESSION_COOKIE
from bot.web.pages.platform_login import BAD_STATE
from tests.helpers import T0
from tests.web_helpers import client_for, ids, web_app

APP_ID, SECRET = "wx-app", "mp-secret"
UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
      "MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")
OPENIDS = {f"c{i}": f"o-{i}" for i in range(1, 30)}  # code cN stands for openid o-N


@contextmanager
def official_account() -> Iterator[tuple[FakeWeChatMPOAuth, FakeLoginHost]]:
    with FakeWeChatMPOAuth(APP_ID, SECRET, OPENIDS) as mp, FakeLoginHost([]) as host:
        yield mp, host  # type: ignore[misc]


def mp_app(tmp_path: Path, mp: Any, host: Any, clock: ManualClock | None = None, **more: Any) -> App:
    return web_app(tmp_path, clock, wechat_mp={"app_id": APP_ID, "app_secret": SECRET, "token": "t",
                                               "api_base_url": mp.url, "oauth_url": host.url}, **more)


def codes_for(app: App, *names: str) -> dict[str, str]:
    members = ids(app)
    with app.db.session() as session:
        rows = [session.get(Member, members[n]) for n in names]
        issued = issue_codes(session=session, members=[r for r in rows if r is not None], now=app.clock.now())
        session.commit()
    return {i.name: i.code for i in issued}


def via_wechat(host: FakeLoginHost, client: TestClient, code: str, next_: str = "/h5/") -> httpx.Response:
    """Open /h5/login inside WeChat, let the fake authorize page send the browser back with `code`, follow it."""
    leave = client.get("/h5/login", params={"next": next_}, headers={"user-agent": UA})
    assert leave.status_code == 302, leave.text
    host.codes.append(code)
    back = httpx.get(leave.headers["location"].split("#")[0], follow_redirects=False)
    parts = urlsplit(back.headers["location"])
    return client.get(f"{parts.path}?{parts.query}", headers={"user-agent": UA})


def bind(client: TestClient, name: str, code: str) -> httpx.Response:
    page = client.get("/h5/bind")
    assert page.status_code == 200, page.text
    token = re.search(r'name="t" value="([^"]+)"', page.text)
    assert token is not None
    return client.post("/h5/bind", data={"t": token[1], "name": name, "code": code})


def bound(app: App) -> dict[str, str]:
    """openid -> member name, for every Official Account account."""
    with app.db.session() as session:
        rows = session.exec(select(Identity, Member).join(Member, Member.id == Identity.member_id)
                            .where(Identity.channel == "wechat_mp")).all()
        return {i.external_id: m.name for i, m in rows}


def audits(app: App) -> list[tuple[str, str]]:
    with app.db.session() as session:
        return [(a.action, a.detail) for a in session.exec(select(WebAudit).order_by(WebAudit.id))]


def test_the_authorize_request_is_the_documented_one_and_a_bound_member_logs_in_silently(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        with app.db.session() as session:
            session.add(Identity(channel="wechat_mp", external_id="o-1", member_id=ids(app)["张三"]))
            session.commit()
        client = client_for(app)
        leave = client.get("/h5/login", params={"next": "/h5/daily?x=1"}, headers={"user-agent": UA})
        assert leave.status_code == 302
        location = leave.headers["location"]
        assert location.startswith(host.url + "/connect/oauth2/authorize?") and location.endswith("#wechat_redirect")
        query = {k: v[0] for k, v in parse_qs(urlsplit(location.split("#")[0]).query).items()}
        assert query["appid"] == APP_ID and query["response_type"] == "code" and query["scope"] == "snsapi_base"
        assert query["redirect_uri"] == "http://127.0.0.1:8080/h5/login/wechat/callback" and len(query["state"]) > 20
        host.codes.append("c1")
        back = urlsplit(httpx.get(location.split("#")[0], follow_redirects=False).headers["location"])
        done = client.get(f"{back.path}?{back.query}")
        assert done.status_code == 303 and done.headers["location"] == "/h5/daily?x=1"
        assert SESSION_COOKIE in done.cookies
        asked = mp.requests[-1].query
        assert asked == {"appid": APP_ID, "secret": SECRET, "code": "c1", "grant_type": "authorization_code"}
        assert "张三，您好" in client.get("/h5/").text
        assert audits(app) == [("login", "微信公众号网页授权")]


def test_a_reused_code_a_wrong_missing_or_replayed_state_are_refused(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        with app.db.session() as session:
            session.add(Identity(channel="wechat_mp", external_id="o-1", member_id=ids(app)["张三"]))
            session.commit()
        assert via_wechat(host, client_for(app), "c1").status_code == 303
        again = client_for(app)
        refused = via_wechat(host, again, "c1")  # the platform answers 40163
        assert refused.status_code == 403 and "已使用" in refused.text and SESSION_COOKIE not in again.cookies
        # wrong state: the cookie's is another
        client = client_for(app)
        client.get("/h5/login", headers={"user-agent": UA})
        wrong = client.get("/h5/login/wechat/callback", params={"code": "c2", "state": "forged"})
        assert wrong.status_code == 403 and BAD_STATE in wrong.text
        missing = client.get("/h5/login/wechat/callback", params={"code": "c2"})
        assert missing.status_code == 403 and BAD_STATE in missing.text
        # another browser (no state cookie) bringing a real state back
        leave = client.get("/h5/login", headers={"user-agent": UA})
        state = parse_qs(urlsplit(leave.headers["location"].split("#")[0]).query)["state"][0]
        stranger = client_for(app).get("/h5/login/wechat/callback", params={"code": "c2", "state": state})
        assert stranger.status_code == 403
        # the same callback twice: the state is spent
        first = client.get("/h5/login/wechat/callback", params={"code": "c3", "state": state})
        assert first.status_code == 303
        replay = client.get("/h5/login/wechat/callback", params={"code": "c4", "state": state})
        assert replay.status_code == 403 and BAD_STATE in replay.text
        assert not any(r.query.get("code") in ("c2", "c4") for r in mp.requests)  # never asked the platform


def test_unbound_binds_once_then_logs_in_silently(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        code = codes_for(app, "张三")["张三"]
        client = client_for(app)
        first = via_wechat(host, client, "c1", "/h5/daily")
        assert first.status_code == 303 and first.headers["location"] == "/h5/bind"
        assert SESSION_COOKIE not in client.cookies
        page = client.get("/h5/bind")
        assert "绑定微信" in page.text and "张三" not in page.text
        done = bind(client, "张三", code.lower())
        assert done.status_code == 303 and done.headers["location"] == "/h5/daily"
        assert "张三，您好" in client.get("/h5/").text
        assert bound(app) == {"o-1": "张三"} and ("bind", "微信公众号：姓名与绑定码") in audits(app)
        later = client_for(app)
        mp.codes["c1b"] = "o-1"  # the same WeChat account, another day
        again = via_wechat(host, later, "c1b", "/h5/points")
        assert again.status_code == 303 and again.headers["location"] == "/h5/points"
        assert audits(app)[-1] == ("login", "微信公众号网页授权")


def _refusal(app: App, client: TestClient, name: str, code: str, message: str) -> None:
    before = bound(app)
    answer = bind(client, name, code)
    assert answer.status_code in (400, 403) and message in answer.text, answer.text
    assert SESSION_COOKIE not in answer.cookies and bound(app) == before


def test_every_wrong_binding_is_refused_with_nothing_stored(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host, clock)
        codes = codes_for(app, "张三", "李四", "钱七")
        client = client_for(app)
        via_wechat(host, client, "c1")
        _refusal(app, client, "张三", codes["李四"], WRONG)  # another member's code (same branch)
        _refusal(app, client, "张三", codes["钱七"], WRONG)  # another branch's member's code
        _refusal(app, client, "不在名册", codes["张三"], WRONG)  # a name the roster does not have
        _refusal(app, client, "张三", "", "请填写姓名和绑定码")
        assert bind(client, "张三", codes["张三"]).status_code == 303
        # the same code again, from another WeChat account
        other = client_for(app)
        via_wechat(host, other, "c2")
        _refusal(app, other, "张三", codes["张三"], USED)
        # 李四's code, a fortnight later
        clock.set(clock.now() + timedelta(days=15))
        via_wechat(host, other := client_for(app), "c10")
        _refusal(app, other, "李四", codes["李四"], EXPIRED)
        # 张三 is bound: another account cannot take him, until the secretary issues him a new code
        fresh = codes_for(app, "张三")["张三"]
        with app.db.session() as session:
            row = session.exec(select(BindCode).where(BindCode.member_id == ids(app)["张三"])).one()
            assert row.rebind and row.used_at is None
        via_wechat(host, third := client_for(app), "c3")
        assert bind(third, "张三", fresh).status_code == 303
        assert bound(app) == {"o-3": "张三"}  # the old account no longer opens his pages
        assert via_wechat(host, client_for(app), "c4").headers["location"] == "/h5/bind"  # (o-4: unbound)
        with app.db.session() as session:  # a code issued before the binding would not move it
            session.add(Identity(channel="wechat_mp", external_id="o-9", member_id=ids(app)["钱七"]))
            session.commit()
        qian = codes_for(app, "钱七")["钱七"]
        with app.db.session() as session:
            row = session.exec(select(BindCode).where(BindCode.member_id == ids(app)["钱七"])).one()
            row.rebind = False
            session.add(row)
            session.commit()
        via_wechat(host, fourth := client_for(app), "c5")
        _refusal(app, fourth, "钱七", qian, TAKEN)


def test_wrong_codes_are_rate_limited_per_account_and_per_member(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host, clock)
        codes = codes_for(app, "张三", "李四")
        client = client_for(app)
        via_wechat(host, client, "c1")
        for _ in range(5):
            _refusal(app, client, "张三", "ZZZZZZ", WRONG)
        _refusal(app, client, "李四", codes["李四"], TOO_MANY)  # this account: even the right code, for now
        clock.set(clock.now() + timedelta(minutes=16))
        # per member: five accounts each trying 张三 once lock 张三 for everyone
        for n in range(3, 8):
            guesser = client_for(app)
            via_wechat(host, guesser, f"c{n}")
            _refusal(app, guesser, "张三", "YYYYYY", WRONG)
        honest = client_for(app)
        via_wechat(host, honest, "c8")
        _refusal(app, honest, "张三", codes["张三"], TOO_MANY)
        clock.set(clock.now() + timedelta(minutes=16))
        via_wechat(host, honest, "c9")
        assert bind(honest, "张三", codes["张三"]).status_code == 303


def test_next_stays_on_this_site(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        with app.db.session() as session:
            session.add(Identity(channel="wechat_mp", external_id="o-1", member_id=ids(app)["张三"]))
            session.commit()
        for n, evil in enumerate(("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x")):
            client = client_for(app)
            mp.codes[f"n{n}"] = "o-1"
            assert via_wechat(host, client, f"n{n}", evil).headers["location"] == "/h5/"
            assert client.get("/h5/login", params={"next": evil}).headers["location"] == "/h5/"


def test_outside_wechat_the_page_says_how_and_inside_wecom_the_dashboard_login_comes_back(tmp_path: Path) -> None:
    from tests.test_web_platform_login import go_via, login_app, platforms

    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        page = client_for(app).get("/h5/login", headers={"user-agent": "Mozilla/5.0 Chrome/120"})
        assert page.status_code == 200 and "在微信里打开本页" in page.text and "「登录」" in page.text
    with platforms() as (wecom, ding, login_host):
        app = login_app(tmp_path / "wecom", wecom, ding, login_host)
        client = client_for(app)
        leave = client.get("/h5/login", params={"next": "/h5/daily"}, headers={"user-agent": "wxwork/4.1 Mobile"})
        assert leave.headers["location"] == "/login/wecom?next=%2Fh5%2Fdaily"
        done = go_via(login_host, client, leave.headers["location"], "w-ok")
        assert done.status_code == 303 and done.headers["location"] == "/h5/daily"
        done = go_via(login_host, client_for(app), "/login/wecom?next=https://evil.example", "w-ok2")
        assert done.headers["location"] == "/"


def test_members_codes_prints_writes_and_voids_the_old_ones(cli_config: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli import build_cli
    from bot.storage.bind_codes import ALPHABET
    from bot.storage.db import Database

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(build_cli(), [*args, "--config", str(cli_config)])

    (tmp_path / "名册.csv").write_text("姓名,支部\n张三,第一支部\n李四,第一支部\n钱七,第二支部\n", encoding="utf-8")
    assert invoke("members", "import", str(tmp_path / "名册.csv")).exit_code == 0
    printed = invoke("members", "codes", "--branch", "第一支部")
    assert printed.exit_code == 0, printed.output
    lines = [line.split("  ") for line in printed.stdout.splitlines()]
    assert [(b, n) for b, n, _, _ in lines] == [("第一支部", "张三"), ("第一支部", "李四")]
    assert all(len(c) == 6 and set(c) <= set(ALPHABET) for _, _, c, _ in lines)
    assert "2 名成员" in printed.output and "旧码已作废" in printed.output
    assert invoke("members", "codes", "--branch", "第九支部").exit_code == 1
    written = invoke("members", "codes", "--output", str(tmp_path / "codes.csv"))
    assert written.exit_code == 0, written.output
    rows = (tmp_path / "codes.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "支部,姓名,绑定码,有效期至" and len(rows) == 4
    fresh = {r.split(",")[1]: r.split(",")[2] for r in rows[1:]}
    assert fresh["张三"] != lines[0][2]  # issued again: new codes, the old one void
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        assert len(session.exec(select(BindCode)).all()) == 3
        assert all(fresh[n] not in row.code_hash for n, row in zip(fresh, session.exec(select(BindCode))))
    db.dispose()
    assert invoke("members", "codes", "--output", str(tmp_path / "codes.csv")).exit_code == 1  # exists: --force


def test_binding_queries_on_each_database(tmp_path: Path, database_url: str) -> None:
    """bind_codes' SQL on SQLite and, with STUDYBOT_TEST_POSTGRES, on PostgreSQL."""
    import pytest

    from bot.storage.bind_codes import BindRefused, bind_account, bound_member

    app = web_app(tmp_path, database={"url": database_url})
    codes = codes_for(app, "张三", "李四")
    now = app.clock.now()
    with app.db.session() as session:
        for _ in range(5):
            with pytest.raises(BindRefused, match="不正确"):
                bind_account(session=session, openid="o-x", name="李四", code="ZZZZZZ", now=now)
        with pytest.raises(BindRefused, match="尝试次数过多"):
            bind_account(session=session, openid="o-y", name="李四", code=codes["李四"], now=now)
        member = bind_account(session=session, openid="o-z", name="张三", code=codes["张三"], now=now)
        session.commit()
        assert member.name == "张三"
        found = bound_member(session=session, openid="o-z")
        assert found is not None and found.name == "张三"
    app.db.dispose()
