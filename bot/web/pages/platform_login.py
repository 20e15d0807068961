"""The login page and the platform logins: WeCom 网页授权 (inside WeCom) and 扫码登录, DingTalk 免登 (inside DingTalk)
and 扫码登录.

GET /login shows the ways configured (企业微信登录, 钉钉登录, and how to get a one-time link); opened inside the WeCom
or DingTalk app (their User-Agent says wxwork / DingTalk) it goes straight to that app's in-client login.
Every platform login starts here with a fresh `state` in a cookie (login_state.py), leaves for the platform, and
comes back to a callback that checks the state, asks the platform whose code it is (platform_auth.py), finds the
member by the roster's account column for that platform, and opens the session with its audit line.

DingTalk 免登 needs DingTalk's JSAPI in the page: the part of npm `dingtalk-jsapi` it uses is vendored as
static/vendor/dingtalk-jsapi.min.js (no CDN). Without dingtalk.corp_id the in-client login takes the OAuth page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import FastAPI, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.storage.people import find_member
from bot.storage.web_logins import audit, signing_key, use_state
from bot.web.dashboard import NOT_LOGGED_IN, Dashboard, Refused
from bot.web.login_state import STATE_COOKIE, STATE_MINUTES, Pending, StateCookies, local_path
from bot.web.platform_auth import DingTalkAuth, PlatformError, WeComAuth
from bot.web.security import form_fields

__all__ = ["add_platform_logins", "BAD_STATE", "UNKNOWN"]

BAD_STATE = "登录请求无效或已过期（每次登录只能使用一次）：请回到登录页重新点击登录。"
UNKNOWN = ("未在成员名册中找到您的账号（{platform}账号：{account}）。请联系管理员在成员名册的「{column}」列填写"
           "此账号后再登录。")
T = TypeVar("T")
NEXT = Query("", alias="next")  # where to go once logged in: a local path (login_state.local_path), else /
DETAIL = {"wecom": "企业微信网页授权", "wecom_qr": "企业微信扫码", "dingtalk": "钉钉免登", "dingtalk_qr": "钉钉扫码"}


class PlatformLogins:
    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.settings = dash.app.settings

    @functools.cached_property
    def states(self) -> StateCookies:
        key = self.settings.web.secret.get_secret_value()
        if not key:
            with self.dash.app.db.session() as session:
                key = signing_key(session=session)
        return StateCookies(key)

    @functools.cached_property
    def wecom(self) -> WeComAuth:
        wecom = self.settings.wecom
        assert wecom is not None and wecom.app is not None  # web.wecom_login requires them (settings)
        return WeComAuth(api_base_url=wecom.api_base_url, corp_id=wecom.corp_id,
                         secret=wecom.app.secret.get_secret_value())

    @functools.cached_property
    def dingtalk(self) -> DingTalkAuth:
        ding = self.settings.dingtalk
        assert ding is not None  # web.dingtalk_login requires it (settings)
        return DingTalkAuth(oapi_base_url=ding.oapi_base_url, openapi_endpoint=ding.openapi_endpoint,
                            client_id=ding.client_id, client_secret=ding.client_secret.get_secret_value())

    def callback_url(self, path: str) -> str:
        server = self.settings.server
        return self.settings.web.address(server.host, server.port) + path

    def leave_for(self, url: str, state_cookie: str) -> Response:
        response = RedirectResponse(url, status_code=302)
        self.set_state(response, state_cookie)
        return response

    def set_state(self, response: Response, cookie: str) -> None:
        response.set_cookie(STATE_COOKIE, cookie, httponly=True, path="/login", max_age=STATE_MINUTES * 60,
                            **self.dash.cookie_flags())

    def check_state(self, request: Request, state: str | None, *flows: str) -> Pending:
        now = self.dash.app.clock.now()
        pending = self.states.check(request.cookies.get(STATE_COOKIE), state, flows, now)
        if pending is None:
            raise Refused(403, BAD_STATE, "登录失败")
        with self.dash.app.db.session() as session:
            if not use_state(session=session, state=pending.state, now=now):
                raise Refused(403, BAD_STATE, "登录失败")
        return pending

    def enter(self, pending: Pending, channel: str, accounts: list[str]) -> Response:
        """The member one of `accounts` (in order) belongs to on `channel` gets a session, or Refused(403)."""
        now = self.dash.app.clock.now()
        with self.dash.app.db.session() as session:
            member = next((m for a in accounts if (m := find_member(session=session, channel=channel,
                                                                     external_id=a)) is not None), None)
            if member is None or member.id is None:
                platform, column = ("企业微信", "企业微信账号") if channel == "wecom" else ("钉钉", "钉钉账号")
                raise Refused(403, UNKNOWN.format(platform=platform, account=accounts[0], column=column),
                              "登录失败")
            member_id = member.id
            audit(session=session, member_id=member_id, action="login", detail=DETAIL[pending.flow], now=now)
            session.commit()
        response = RedirectResponse(local_path(pending.back), status_code=303)
        self.dash.set_session(response, self.dash.sessions.new(member_id, now))
        response.delete_cookie(STATE_COOKIE, path="/login")
        return response


def _platform_call(call: Callable[[], T]) -> T:
    try:
        return call()
    except PlatformError as error:
        raise Refused(error.status, error.message, "登录失败") from None


def add_platform_logins(web: FastAPI, dash: Dashboard) -> None:
    logins = PlatformLogins(dash)
    config = dash.app.settings.web

    @web.get("/login")
    def choose(request: Request) -> Response:
        agent = request.headers.get("user-agent", "")
        if config.wecom_login and "wxwork" in agent.lower():
            return RedirectResponse("/login/wecom", status_code=302)
        if config.dingtalk_login and "dingtalk" in agent.lower():
            return RedirectResponse("/login/dingtalk", status_code=302)
        return dash.page(request, "login_choose.html", title="登录管理后台", wecom=config.wecom_login,
                         dingtalk=config.dingtalk_login, link_help=NOT_LOGGED_IN)

    if config.wecom_login:
        add_wecom(web, logins)
    if config.dingtalk_login:
        add_dingtalk(web, logins)


def add_wecom(web: FastAPI, logins: PlatformLogins) -> None:
    wecom, agent_id = logins.settings.wecom, logins.settings.wecom.app.agent_id  # type: ignore[union-attr]
    assert wecom is not None
    callback = "/login/wecom/callback"

    @web.get("/login/wecom")
    def in_wecom(next_: str = NEXT) -> Response:
        state, cookie = logins.states.new("wecom", logins.dash.app.clock.now(), next_)
        query = urlencode({"appid": wecom.corp_id, "redirect_uri": logins.callback_url(callback),
                           "response_type": "code", "scope": "snsapi_base", "state": state, "agentid": agent_id})
        authorize = f"{wecom.oauth_url.rstrip('/')}/connect/oauth2/authorize"
        return logins.leave_for(f"{authorize}?{query}#wechat_redirect", cookie)

    @web.get("/login/wecom/qr")
    def wecom_qr(next_: str = NEXT) -> Response:
        state, cookie = logins.states.new("wecom_qr", logins.dash.app.clock.now(), next_)
        query = urlencode({"login_type": "CorpApp", "appid": wecom.corp_id, "agentid": agent_id,
                           "redirect_uri": logins.callback_url(callback), "state": state})
        return logins.leave_for(f"{wecom.sso_url.rstrip('/')}/wwlogin/sso/login?{query}", cookie)

    @web.get(callback)
    def wecom_back(request: Request, code: str = "", state: str = "") -> Response:
        pending = logins.check_state(request, state, "wecom", "wecom_qr")
        if not code:
            raise Refused(403, "您未同意授权，未能登录。请回到登录页重新点击「企业微信登录」。", "登录失败")
        userid = _platform_call(functools.partial(logins.wecom.userid, code))
        return logins.enter(pending, "wecom", [userid])


def add_dingtalk(web: FastAPI, logins: PlatformLogins) -> None:
    ding = logins.settings.dingtalk
    assert ding is not None
    callback = "/login/dingtalk/callback"

    @web.get("/login/dingtalk/qr")
    def dingtalk_qr(next_: str = NEXT) -> Response:
        state, cookie = logins.states.new("dingtalk_qr", logins.dash.app.clock.now(), next_)
        query = urlencode({"redirect_uri": logins.callback_url(callback), "response_type": "code",
                           "client_id": ding.client_id, "scope": "openid", "state": state, "prompt": "consent"})
        return logins.leave_for(f"{ding.login_url.rstrip('/')}/oauth2/auth?{query}", cookie)

    @web.get("/login/dingtalk")
    def in_dingtalk(request: Request, next_: str = NEXT) -> Response:
        if not ding.corp_id:  # 免登 needs the CorpId: the OAuth page works inside DingTalk as well
            return dingtalk_qr(next_)
        state, cookie = logins.states.new("dingtalk", logins.dash.app.clock.now(), next_)
        response = logins.dash.page(request, "login_dingtalk.html", title="钉钉免登", state=state,
                                    corp_id=ding.corp_id, client_id=ding.client_id)
        logins.set_state(response, cookie)
        return response

    @web.post("/login/dingtalk")
    async def dingtalk_code(request: Request) -> Response:
        fields = await form_fields(request)
        pending = logins.check_state(request, fields.get("state"), "dingtalk")
        code = fields.get("code", "")
        if not code:
            raise Refused(403, "钉钉未给出免登授权码：请在钉钉中重新打开管理后台。", "登录失败")
        userid = await _in_thread(functools.partial(logins.dingtalk.userid_from_auth_code, code))
        return logins.enter(pending, "dingtalk", [userid])

    @web.get(callback)
    def dingtalk_back(request: Request, state: str = "", authCode: str = "", code: str = "") -> Response:  # noqa: N803
        pending = logins.check_state(request, state, "dingtalk_qr")
        if not (authCode or code):
            raise Refused(403, "您未同意授权，未能登录。请回到登录页重新点击「钉钉登录」。", "登录失败")
        unionid = _platform_call(functools.partial(logins.dingtalk.unionid_from_qr_code, authCode or code))
        userid = _platform_call(functools.partial(logins.dingtalk.userid_from_unionid, unionid))
        # the roster's 钉钉账号 is the userid; a roster that wrote the unionId there is read too
        return logins.enter(pending, "dingtalk", [a for a in (userid, unionid) if a])


async def _in_thread(call: Callable[[], T]) -> T:
    """A blocking platform call from an async route (the form is read async), off the event loop."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_platform_call, call)
