"""Fake WeCom and DingTalk login servers on loopback, for the dashboard's platform logins (bot/web/platform_auth.py).

- `FakeWeComOAuth`: gettoken and auth/getuserinfo; `codes` maps a code to the userid it stands for, and a code works
  once (then errcode 40029, as WeCom answers a used code); "outsider" codes get an openid only.
- `FakeDingTalkOAuth`: gettoken, topapi/v2/user/getuserinfo (免登 codes), v1.0/oauth2/userAccessToken and
  v1.0/contact/users/me (扫码 codes → unionId), topapi/user/getbyunionid; codes work once.
- `FakeWeChatMPOAuth`: the Official Account's sns/oauth2/access_token (网页授权, the members' pages): `codes` maps a
  code to an openid; a code works once (then errcode 40163, "code been used").
- `FakeLoginHost`: the page the person is sent to (open.weixin.qq.com, login.work.weixin.qq.com, login.dingtalk.com):
  it "scans" at once and redirects back to redirect_uri with the next code in `codes` and the state it was given.

Each runs in a thread of its own (http.server) and records every request."""

from __future__ import annotations

import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fakes.http_api import Answer, FakeHTTPAPI, Recorded

__all__ = ["FakeWeComOAuth", "FakeDingTalkOAuth", "FakeLoginHost", "FakeWeChatMPOAuth"]


class FakeWeComOAuth(FakeHTTPAPI):
    name = "fake-wecom-oauth"

    def __init__(self, corp_id: str, secret: str, codes: dict[str, str]) -> None:
        super().__init__()
        self.corp_id, self.secret, self.codes = corp_id, secret, dict(codes)
        self.token = "FAKE_WECOM_LOGIN_TOKEN"
        self.used: set[str] = set()

    def answer(self, request: Recorded) -> Answer:
        if request.path == "/cgi-bin/gettoken":
            if request.query.get("corpid") != self.corp_id or request.query.get("corpsecret") != self.secret:
                return {"errcode": 40001, "errmsg": "invalid credential"}
            return {"errcode": 0, "errmsg": "ok", "access_token": self.token, "expires_in": 7200}
        if request.path == "/cgi-bin/auth/getuserinfo":
            if request.query.get("access_token") != self.token:
                return {"errcode": 40014, "errmsg": "invalid access_token"}
            code = request.query.get("code", "")
            if code not in self.codes or code in self.used:
                return {"errcode": 40029, "errmsg": "invalid code"}
            self.used.add(code)
            if self.codes[code] == "outsider":
                return {"errcode": 0, "errmsg": "ok", "openid": "oOUTSIDER"}
            return {"errcode": 0, "errmsg": "ok", "userid": self.codes[code], "user_ticket": "T"}
        return 404


class FakeDingTalkOAuth(FakeHTTPAPI):
    """Serves both hosts (oapi and api): the paths do not overlap."""

    name = "fake-dingtalk-oauth"

    def __init__(self, client_id: str, secret: str, *, auth_codes: dict[str, str], qr_codes: dict[str, str],
                 unions: dict[str, str]) -> None:
        super().__init__()
        self.client_id, self.secret = client_id, secret
        self.auth_codes, self.qr_codes, self.unions = dict(auth_codes), dict(qr_codes), dict(unions)
        self.token = "FAKE_DINGTALK_TOKEN"
        self.used: set[str] = set()

    def _body(self, request: Recorded) -> dict[str, Any]:
        return request.body if isinstance(request.body, dict) else {}

    def answer(self, request: Recorded) -> Answer:
        body = self._body(request)
        if request.path == "/gettoken":
            if request.query.get("appkey") != self.client_id or request.query.get("appsecret") != self.secret:
                return {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
            return {"errcode": 0, "errmsg": "ok", "access_token": self.token, "expires_in": 7200}
        if request.path.startswith("/topapi/") and request.query.get("access_token") != self.token:
            return {"errcode": 88, "errmsg": "不合法的access_token"}
        if request.path == "/topapi/v2/user/getuserinfo":
            code = str(body.get("code", ""))
            if code not in self.auth_codes or code in self.used:
                return {"errcode": 40078, "errmsg": "不存在的临时授权码"}
            self.used.add(code)
            return {"errcode": 0, "errmsg": "ok", "result": {"userid": self.auth_codes[code], "name": "x"}}
        if request.path == "/topapi/user/getbyunionid":
            userid = self.unions.get(str(body.get("unionid", "")))
            if userid is None:
                return {"errcode": 60121, "errmsg": "找不到该用户"}
            return {"errcode": 0, "errmsg": "ok", "result": {"contact_type": 0, "userid": userid}}
        if request.path == "/v1.0/oauth2/userAccessToken":
            code = str(body.get("code", ""))
            if (body.get("clientId"), body.get("clientSecret")) != (self.client_id, self.secret):
                return (400, {"code": "invalidClientId", "message": "无效的clientId"})
            if code not in self.qr_codes or code in self.used or body.get("grantType") != "authorization_code":
                return (400, {"code": "invalidAuthCode", "message": "不合法的临时授权码"})
            self.used.add(code)
            return {"accessToken": "USER-" + code, "refreshToken": "R", "expireIn": 7200}
        if request.path == "/v1.0/contact/users/me":
            code = request.headers.get("x-acs-dingtalk-access-token", "").removeprefix("USER-")
            if code not in self.qr_codes:
                return (401, {"code": "InvalidAuthentication", "message": "token无效"})
            return {"nick": "x", "unionId": self.qr_codes[code], "openId": "o"}
        return 404


class FakeWeChatMPOAuth(FakeHTTPAPI):
    name = "fake-wechat-mp-oauth"

    def __init__(self, app_id: str, secret: str, codes: dict[str, str]) -> None:
        super().__init__()
        self.app_id, self.secret, self.codes = app_id, secret, dict(codes)
        self.used: set[str] = set()

    def answer(self, request: Recorded) -> Answer:
        if request.path != "/sns/oauth2/access_token":
            return 404
        query = request.query
        if query.get("appid") != self.app_id or query.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        code = query.get("code", "")
        if code in self.used:
            return {"errcode": 40163, "errmsg": "code been used"}
        if code not in self.codes:
            return {"errcode": 40029, "errmsg": "invalid code"}
        self.used.add(code)
        return {"access_token": "USER-TOKEN", "expires_in": 7200, "refresh_token": "R", "openid": self.codes[code],
                "scope": "snsapi_base"}


class FakeLoginHost:
    """`with FakeLoginHost(["c1"]) as host:` redirects every GET to its redirect_uri with the next code (as `code`,
    or `authCode` with code_param) and the state it was given; `seen` keeps each request's query."""

    def __init__(self, codes: list[str], code_param: str = "code") -> None:
        self.codes, self.code_param = deque(codes), code_param
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.url = ""
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeLoginHost:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                host.seen.append((parts.path, query))
                code = host.codes.popleft() if host.codes else "no-more-codes"
                back_query = urlencode({host.code_param: code, "state": query.get("state", "")})
                back = f"{query.get('redirect_uri', '')}?{back_query}"
                self.send_response(302)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="fake-login-host", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
