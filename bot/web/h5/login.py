"""/h5/login?next=…: who a member on the members' pages is.

- Inside WeChat (User-Agent MicroMessenger, not wxwork) with wechat_mp configured: the Official Account's web
  authorisation, snsapi_base (silent): {wechat_mp.oauth_url}/connect/oauth2/authorize → back to
  /h5/login/wechat/callback with a code and the state (login_state.py: random, in a cookie of this browser, single
  use, 10 minutes) → sns/oauth2/access_token → openid. A bound openid logs in (the dashboard's session) and goes to
  `next`; an unbound one goes to /h5/bind (bind.py) to type a name and a code once.
- Inside WeCom or DingTalk: the dashboard's in-client logins (platform_login.py), which come back to `next`.
- Elsewhere: how to get a one-time link (私聊机器人发送「登录」).
`next` is a local path only (login_state.local_path): a login never sends the browser to another site."""

from __future__ import annotations

import functools
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.storage.bind_codes import bound_member
from bot.storage.web_logins import audit
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.bind import BindCookies, add_bind_page
from bot.web.h5.bind_request import add_bind_request
from bot.web.h5.visitor import H5_LOGIN, visitor
from bot.web.h5.wechat_oauth import PlatformError, WeChatOAuth
from bot.web.login_state import STATE_COOKIE, STATE_MINUTES, local_path
from bot.web.pages.platform_login import PlatformLogins

__all__ = ["add_h5_login", "CALLBACK", "HOME"]

HOME = "/h5/"
CALLBACK = H5_LOGIN + "/wechat/callback"
NEXT = Query("", alias="next")
ELSEWHERE = ("请在微信里打开本页（点公众号菜单或群里的链接）；或私聊机器人（企业微信、钉钉或本公众号）发送「登录」，"
             "打开收到的一次性链接后，再回到这里。")
NO_WECHAT = "请私聊机器人（企业微信或钉钉）发送「登录」，打开收到的一次性链接（仅可使用一次）后，再回到这里。"


def _in_wechat(agent: str) -> bool:
    agent = agent.lower()
    return "micromessenger" in agent and "wxwork" not in agent


def add_h5_login(web: FastAPI, dash: Dashboard) -> None:
    logins = PlatformLogins(dash)
    settings = dash.app.settings
    binds = BindCookies(dash)

    @functools.cache
    def oauth() -> WeChatOAuth:
        mp = settings.wechat_mp
        assert mp is not None
        return WeChatOAuth(api_base_url=mp.api_base_url, app_id=mp.app_id, secret=mp.app_secret.get_secret_value())

    @web.get(H5_LOGIN)
    def login(request: Request, next_: str = NEXT) -> Response:
        back = local_path(next_, HOME)
        agent = request.headers.get("user-agent", "")
        if visitor(dash, request) is not None:
            return RedirectResponse(back, status_code=302)
        if settings.web.wecom_login and "wxwork" in agent.lower():
            return RedirectResponse(f"/login/wecom?next={quote(back, safe='')}", status_code=302)
        if settings.web.dingtalk_login and "dingtalk" in agent.lower():
            return RedirectResponse(f"/login/dingtalk?next={quote(back, safe='')}", status_code=302)
        mp = settings.wechat_mp
        if mp is not None and _in_wechat(agent):
            state, cookie = logins.states.new("wechat_mp", dash.app.clock.now(), back)
            query = urlencode({"appid": mp.app_id, "redirect_uri": logins.callback_url(CALLBACK),
                               "response_type": "code", "scope": "snsapi_base", "state": state})
            response = RedirectResponse(f"{mp.oauth_url.rstrip('/')}/connect/oauth2/authorize?{query}"
                                        "#wechat_redirect", status_code=302)
            response.set_cookie(STATE_COOKIE, cookie, httponly=True, path=H5_LOGIN, max_age=STATE_MINUTES * 60,
                                **dash.cookie_flags())
            return response
        return dash.page(request, "h5/login.html", title="登录", member=None,
                         help=ELSEWHERE if mp is not None else NO_WECHAT)

    @web.get(CALLBACK)
    def wechat_back(request: Request, code: str = "", state: str = "") -> Response:
        if settings.wechat_mp is None:
            raise Refused(404, "未配置微信公众号，无法在微信内登录。", "登录失败")
        pending = logins.check_state(request, state, "wechat_mp")
        if not code:
            raise Refused(403, "您未同意授权，未能登录。请回到群里重新点开链接。", "登录失败")
        try:
            openid = oauth().openid(code)
        except PlatformError as error:
            raise Refused(error.status, error.message, "登录失败") from None
        now = dash.app.clock.now()
        with dash.app.db.session() as session:
            member = bound_member(session=session, openid=openid)
            if member is not None and member.id is not None:
                member_id = member.id
                audit(session=session, member_id=member_id, action="login", detail="微信公众号网页授权", now=now)
                session.commit()
        if member is None:
            response = RedirectResponse("/h5/bind", status_code=303)
            binds.set(response, openid, pending.back)
        else:
            response = RedirectResponse(local_path(pending.back, HOME), status_code=303)
            dash.set_session(response, dash.sessions.new(member_id, now))
        response.delete_cookie(STATE_COOKIE, path=H5_LOGIN)
        return response

    add_bind_page(web, dash, binds)
    add_bind_request(web, dash, binds)
