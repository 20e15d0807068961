"""The dashboard's WeCom and DingTalk logins against fake platform servers on loopback (tests/fakes/oauth_platforms.py):
网页授权, 扫码 and 免登 end to end — the redirect to the configured login host, the platform sending the person back
with a code and the state, the code exchanged for a userid, the roster's account column giving the member — and what
is refused: a wrong, missing or reused state, a code used twice, someone not in the roster, a platform error."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fakes.oauth_platforms import FakeDingTalkOAuth, FakeLoginHost, FakeWeComOAuth
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.app import App
from bot.storage.models import Identity
from bot.storage.models_web import WebAudit
from bot.web.auth import SESSION_COOKIE
from tests.web_helpers import client_for, ids, web_app

CORP, AGENT, SECRET = "ww-corp", 1000002, "app-secret"
CLIENT_ID, CLIENT_SECRET, DING_CORP = "ding-client", "ding-secret", "ding-corp"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
WECOM_USERS = {"w-ok": "zhangsan", "w-ok2": "zhangsan", "w-stranger": "nobody", "w-out": "outsider"}
DING_AUTH = {"d-ok": "ding-zs", "d-stranger": "ding-nobody"}
DING_QR = {"q-ok": "union-zs", "q-stranger": "union-nobody", "q-union-roster": "union-ls"}
DING_UNIONS = {"union-zs": "ding-zs", "union-nobody": "ding-nobody"}


@contextmanager
def platforms() -> Iterator[tuple[FakeWeComOAuth, FakeDingTalkOAuth, FakeLoginHost]]:
    with FakeWeComOAuth(CORP, SECRET, WECOM_USERS) as wecom, \
            FakeDingTalkOAuth(CLIENT_ID, CLIENT_SECRET, auth_codes=DING_AUTH, qr_codes=DING_QR,
                              unions=DING_UNIONS) as ding, FakeLoginHost([]) as host:
        yield wecom, ding, host  # type: ignore[misc]


def login_app(tmp_path: Path, wecom: Any, ding: Any, host: Any, **web: Any) -> App:
    app = web_app(tmp_path, wecom={"corp_id": CORP, "api_base_url": wecom.url, "oauth_url": host.url,
                                   "sso_url": host.url,
                                   "app": {"agent_id": AGENT, "secret": SECRET, "token": "t",
                                           "encoding_aes_key": AES_KEY}},
                  dingtalk={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "corp_id": DING_CORP,
                            "openapi_endpoint": ding.url, "oapi_base_url": ding.url, "login_url": host.url},
                  web={"wecom_login": True, "dingtalk_login": True, **web})
    members = ids(app)
    with app.db.session() as session:
        session.add(Identity(channel="wecom", external_id="zhangsan", member_id=members["张三"]))
        session.add(Identity(channel="dingtalk", external_id="ding-zs", member_id=members["张三"]))
        session.add(Identity(channel="dingtalk", external_id="union-ls", member_id=members["李四"]))
        session.commit()
    return app


def go_via(host: FakeLoginHost, client: TestClient, start: str, code: str, code_param: str = "code") -> httpx.Response:
    """Start a login at `start`, let the fake login host send the browser back with `code`, follow to the callback."""
    leave = client.get(start)
    assert leave.status_code == 302, leave.text
    host.codes.append(code)
    host.code_param = code_param
    back = httpx.get(leave.headers["location"].split("#")[0], follow_redirects=False)
    assert back.status_code == 302
    parts = urlsplit(back.headers["location"])
    return client.get(f"{parts.path}?{parts.query}")


def audits(app: App) -> list[tuple[str, str]]:
    with app.db.session() as session:
        return [(a.action, a.detail) for a in session.exec(select(WebAudit).order_by(WebAudit.id))]


def test_wecom_in_client_login_sends_the_documented_request_and_logs_in(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        client = client_for(app)
        entered = go_via(host, client, "/login/wecom", "w-ok")
        assert entered.status_code == 303 and entered.headers["location"] == "/"
        assert SESSION_COOKIE in entered.headers["set-cookie"]
        path, query = host.seen[-1]
        assert path == "/connect/oauth2/authorize"
        assert query["appid"] == CORP and query["agentid"] == str(AGENT) and query["scope"] == "snsapi_base"
        assert query["response_type"] == "code" and query["redirect_uri"] == "http://127.0.0.1:8080/login/wecom/callback"
        assert client.get("/").status_code == 200 and "张三" in client.get("/").text
        assert wecom.received("/cgi-bin/auth/getuserinfo")[0].query["code"] == "w-ok"
        assert audits(app) == [("login", "企业微信网页授权")]


def test_wecom_qr_login_goes_through_wwlogin(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        client = client_for(app)
        assert go_via(host, client, "/login/wecom/qr", "w-ok").status_code == 303
        path, query = host.seen[-1]
        assert path == "/wwlogin/sso/login" and query["login_type"] == "CorpApp" and query["appid"] == CORP
        assert audits(app) == [("login", "企业微信扫码")]


def test_dingtalk_qr_login_maps_the_union_id_to_the_userid(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        client = client_for(app)
        assert go_via(host, client, "/login/dingtalk/qr", "q-ok", "authCode").status_code == 303
        path, query = host.seen[-1]
        assert path == "/oauth2/auth" and query["client_id"] == CLIENT_ID and query["scope"] == "openid"
        assert query["prompt"] == "consent" and query["response_type"] == "code"
        assert "张三" in client.get("/").text
        assert ding.received("/topapi/user/getbyunionid")[0].body == {"unionid": "union-zs"}
        assert audits(app) == [("login", "钉钉扫码")]


def test_dingtalk_qr_login_reads_a_union_id_written_in_the_roster(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        client = client_for(app)
        assert go_via(host, client, "/login/dingtalk/qr", "q-union-roster", "authCode").status_code == 303
        assert "李四" in client.get("/").text


def dingtalk_page(client: TestClient) -> str:
    page = client.get("/login/dingtalk")
    assert page.status_code == 200 and 'src="/static/vendor/dingtalk-jsapi.min.js"' in page.text
    assert f'data-corp-id="{DING_CORP}"' in page.text
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state is not None
    return state[1]


def test_dingtalk_in_client_login_posts_the_auth_code(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        client = client_for(app)
        entered = client.post("/login/dingtalk", data={"state": dingtalk_page(client), "code": "d-ok"})
        assert entered.status_code == 303 and "张三" in client.get("/").text
        assert ding.received("/topapi/v2/user/getuserinfo")[0].body == {"code": "d-ok"}
        assert audits(app) == [("login", "钉钉免登")]


@pytest.mark.parametrize("start", ["/login/wecom", "/login/wecom/qr"])
def test_a_wrong_or_missing_state_is_refused(tmp_path: Path, start: str) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        client = client_for(app)
        assert client.get(start).status_code == 302
        for query in ("code=w-ok&state=forged", "code=w-ok"):
            refused = client.get(f"/login/wecom/callback?{query}")
            assert refused.status_code == 403 and "登录请求无效或已过期" in refused.text
        other = client_for(app)  # the right state, but in another browser (no cookie): a login CSRF
        state = parse_qs(urlsplit(client.get(start).headers["location"]).query)["state"][0]
        assert other.get(f"/login/wecom/callback?code=w-ok&state={state}").status_code == 403
        assert wecom.received("/cgi-bin/auth/getuserinfo") == [] and audits(app) == []


def test_a_state_is_used_once(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        client = client_for(app)
        leave = client.get("/login/wecom")
        cookie = client.cookies.get("studybot_oauth")
        state = parse_qs(urlsplit(leave.headers["location"]).query)["state"][0]
        assert client.get(f"/login/wecom/callback?code=w-ok&state={state}").status_code == 303
        replay = client_for(app)
        replay.cookies.set("studybot_oauth", cookie or "", path="/login")  # even with a copy of the cookie
        again = replay.get(f"/login/wecom/callback?code=w-ok2&state={state}")
        assert again.status_code == 403 and "每次登录只能使用一次" in again.text


def test_a_dingtalk_post_with_a_wrong_state_is_refused(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        client = client_for(app)
        dingtalk_page(client)
        refused = client.post("/login/dingtalk", data={"state": "forged", "code": "d-ok"})
        assert refused.status_code == 403 and "登录请求无效或已过期" in refused.text


@pytest.mark.parametrize(("start", "code", "param"), [("/login/wecom", "w-ok", "code"),
                                                      ("/login/dingtalk/qr", "q-ok", "authCode")])
def test_a_code_used_twice_gets_the_platforms_refusal(tmp_path: Path, start: str, code: str, param: str) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        assert go_via(host, client_for(app), start, code, param).status_code == 303
        again = go_via(host, client_for(app), start, code, param)
        assert again.status_code == 403 and "登录码无效、已使用或已过期" in again.text
        assert SESSION_COOKIE not in again.headers.get("set-cookie", "")


def test_a_dingtalk_auth_code_used_twice_is_refused(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        first = client_for(app)
        assert first.post("/login/dingtalk", data={"state": dingtalk_page(first), "code": "d-ok"}).status_code == 303
        second = client_for(app)
        again = second.post("/login/dingtalk", data={"state": dingtalk_page(second), "code": "d-ok"})
        assert again.status_code == 403 and "钉钉登录码无效、已使用或已过期" in again.text


@pytest.mark.parametrize(("start", "code", "param", "shown"), [
    ("/login/wecom", "w-stranger", "code", "企业微信账号：nobody"),
    ("/login/wecom/qr", "w-out", "code", "不是本企业的成员"),
    ("/login/dingtalk/qr", "q-stranger", "authCode", "钉钉账号：ding-nobody")])
def test_someone_not_in_the_roster_is_refused(tmp_path: Path, start: str, code: str, param: str, shown: str) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        refused = go_via(host, client_for(app), start, code, param)
        assert refused.status_code == 403 and shown in refused.text
        if "账号" in shown:
            assert "未在成员名册中找到您的账号" in refused.text
        assert audits(app) == []


def test_a_platform_error_is_shown_plainly(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        wecom.script("/cgi-bin/gettoken", {"errcode": 60020, "errmsg": "not allow to access from your ip"})
        refused = go_via(host, client_for(app), "/login/wecom", "w-ok")
        assert refused.status_code == 403 and "错误码 60020" in refused.text
        ding.script("/v1.0/contact/users/me", "drop")
        down = go_via(host, client_for(app), "/login/dingtalk/qr", "q-ok", "authCode")
        assert down.status_code == 502 and "暂时无法连接钉钉服务器" in down.text
        assert "Traceback" not in refused.text + down.text and SECRET not in refused.text


def test_a_stale_token_is_fetched_again(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        assert go_via(host, client_for(app), "/login/wecom", "w-ok").status_code == 303
        wecom.token = "ROTATED"
        assert go_via(host, client_for(app), "/login/wecom", "w-ok2").status_code == 303
        assert len(wecom.received("/cgi-bin/gettoken")) == 2


def test_the_login_page_offers_the_configured_ways_and_the_apps_go_straight_in(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        client = client_for(app)
        page = client.get("/login")
        assert page.status_code == 200
        assert "企业微信登录" in page.text and "钉钉登录" in page.text and "管理后台" in page.text
        wxwork = client.get("/login", headers={"user-agent": "Mozilla/5.0 (iPhone) wxwork/4.1.20 MicroMessenger"})
        assert wxwork.status_code == 302 and wxwork.headers["location"] == "/login/wecom"
        dingtalk = client.get("/login", headers={"user-agent": "Mozilla/5.0 (Linux; Android 13) AliApp(DingTalk/7.5)"})
        assert dingtalk.status_code == 302 and dingtalk.headers["location"] == "/login/dingtalk"


def test_without_platform_logins_the_page_shows_the_link_only(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    client = client_for(app)
    page = client.get("/login", headers={"user-agent": "wxwork/4.1"})
    assert page.status_code == 200 and "企业微信登录" not in page.text and "「管理后台」" in page.text
    assert client.get("/login/wecom").status_code == 410  # just a (bad) one-time link then


def test_without_a_dingtalk_corp_id_the_in_client_login_takes_the_oauth_page(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        app.settings.dingtalk.corp_id = ""  # type: ignore[union-attr]
        client = client_for(app)
        leave = client.get("/login/dingtalk")
        assert leave.status_code == 302 and leave.headers["location"].startswith(host.url + "/oauth2/auth?")


def test_embedding_lists_the_workbench_origins_and_makes_cookies_cross_site(tmp_path: Path) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host, embed=True, base_url="https://dj.example.com")
        from bot.web import build_web  # over https: the cookies are Secure

        client = TestClient(build_web(app), base_url="https://dj.example.com", follow_redirects=False)
        page = client.get("/login")
        assert "X-Frame-Options" not in page.headers
        assert "frame-ancestors https://work.weixin.qq.com https://*.dingtalk.com" in page.headers[
            "content-security-policy"]
        leave = client.get("/login/wecom")
        assert "studybot_oauth" in leave.headers["set-cookie"]
        state_cookie = leave.headers["set-cookie"].lower()
        assert "samesite=none" in state_cookie and "secure" in state_cookie
        back = parse_qs(urlsplit(leave.headers["location"]).query)
        assert back["redirect_uri"] == ["https://dj.example.com/login/wecom/callback"]
        entered = client.get(f"/login/wecom/callback?code=w-ok&state={back['state'][0]}")
        session_cookie = entered.headers["set-cookie"].lower()
        assert SESSION_COOKIE in session_cookie and "samesite=none" in session_cookie and "secure" in session_cookie


def test_without_embedding_no_site_may_frame_the_dashboard(tmp_path: Path) -> None:
    client = client_for(web_app(tmp_path))
    page = client.get("/login")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(("overrides", "shown"), [
    ({"web": {"wecom_login": True}}, "web.wecom_login 需要"),
    ({"web": {"dingtalk_login": True}}, "web.dingtalk_login 需要"),
    ({"web": {"embed": True}}, "web.embed 需要 https://"),
    ({"web": {"frame_ancestors": ["http://evil.example.com"]}}, "应为 https:// 开头的来源"),
    ({"web": {"frame_ancestors": ["https://a.example.com; script-src *"]}}, "应为 https:// 开头的来源")])
def test_login_and_embedding_settings_are_checked_at_start(tmp_path: Path, overrides: dict[str, Any],
                                                           shown: str) -> None:
    from helpers import settings_for

    with pytest.raises(Exception) as error:
        settings_for(tmp_path, **overrides)
    assert shown in str(error.value)
