"""Logging in with a one-time link, and out.

GET /login (the ways to log in) and the WeCom/DingTalk logins are in platform_login.py.

GET /login/{token} only shows a button: chat clients fetch a link to draw its preview, and that fetch must not use
up the link. POST /login/{token} uses it (once: bot/storage/web_logins.py) and issues the session, in one
transaction with its audit line. The form carries a double-submit token from a cookie set with the page, so
another site cannot log a browser in to someone else's session (login CSRF)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.storage.web_logins import audit, login_state, redeem_login
from bot.web.auth import LOGIN_COOKIE, SESSION_COOKIE
from bot.web.dashboard import Dashboard, Refused
from bot.web.security import form_fields
from bot.web.viewer import Viewer, viewer_of

__all__ = ["add_login_pages", "LINK_GONE", "landing"]

LINK_GONE = "链接已使用或已过期，请重新获取：私聊机器人发送「管理后台」。"


def landing(viewer: Viewer | None) -> str:
    """Where a one-time link lands: the dashboard for a secretary, committee member or the committee; a plain
    member's own pages (学习答题, /h5/) otherwise — the dashboard would show them only their own row."""
    if viewer is not None and (viewer.scope.everything or viewer.scope.branch_ids):
        return "/"
    return "/h5/"


def add_login_pages(web: FastAPI, dash: Dashboard) -> None:
    @web.get("/login/{token}")
    def confirm(request: Request, token: str) -> Response:
        with dash.app.db.session() as session:
            member_id = login_state(session=session, token=token, now=dash.app.clock.now())
        if member_id is None:
            raise Refused(410, LINK_GONE, "链接已失效")
        pre = secrets.token_urlsafe(16)
        response = dash.page(request, "login.html", token=token, pre=pre)
        response.set_cookie(LOGIN_COOKIE, pre, httponly=True, path="/login",
                            max_age=dash.app.settings.web.link_minutes * 60, **dash.cookie_flags("strict"))
        return response

    @web.post("/login/{token}")
    async def enter(request: Request, token: str) -> Response:
        fields = await form_fields(request)
        pre = request.cookies.get(LOGIN_COOKIE, "")
        if not pre or not hmac.compare_digest(pre, fields.get("pre", "")):
            raise Refused(403, "登录请求无效：请重新打开收到的登录链接再点「进入管理后台」。")
        now = dash.app.clock.now()
        with dash.app.db.session() as session:
            member_id = redeem_login(session=session, token=token, now=now)
            if member_id is None:
                session.rollback()
                raise Refused(410, LINK_GONE, "链接已失效")
            audit(session=session, member_id=member_id, action="login", detail="一次性链接", now=now)
            session.commit()
            home = landing(viewer_of(session, member_id, dash.app.settings.meetings.groups))
        response = RedirectResponse(home, status_code=303)
        dash.set_session(response, dash.sessions.new(member_id, now))
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @web.post("/logout")
    async def leave(request: Request) -> Response:
        data = dash.session_of(request)
        fields = await form_fields(request)
        if data is None or not dash.sessions.csrf_ok(data, fields.get("csrf")):
            raise Refused(403, "请求无效（页面已过期）：请刷新页面后再试。")
        with dash.app.db.session() as session:
            audit(session=session, member_id=data.member_id, action="logout", detail="", now=dash.app.clock.now())
            session.commit()
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
