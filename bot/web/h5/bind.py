"""/h5/bind: the first time a WeChat account comes (its openid known from the web authorisation, login.py, but bound
to no roster member), the member types their name and the short code their secretary gave them
(bot/storage/bind_codes.py); right, the openid is bound, the session opens with an audit line `bind`, and the
member goes on to the page they came for. Later visits are silent. A member with no code asks instead
(bind_request.py): the page then says the request is waiting, and once a secretary has approved it, the page (or the
next visit through the link) lets the member in.

The openid travels from the callback to this page in a signed cookie (path /h5/bind, BIND_MINUTES), never in the
URL; the form carries the cookie's nonce back (double submit), so another site cannot make a browser bind itself
to someone else's member."""

from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import FastAPI
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.storage.bind_codes import BindRefused, bind_account, bound_member
from bot.storage.bind_requests import pending_of_account
from bot.storage.models import Branch
from bot.storage.web_logins import audit, signing_key
from bot.web.dashboard import Dashboard, Refused
from bot.web.login_state import local_path
from bot.web.security import form_fields

__all__ = ["BindCookies", "Unbound", "add_bind_page", "bind_form", "BIND_PATH"]

BIND_PATH = "/h5/bind"
BIND_COOKIE = "studybot_bind"
BIND_MINUTES = 30
_STAMP = "%Y-%m-%dT%H:%M:%S"
GONE = "绑定页面已过期或不是从微信打开的：请在微信里回到群里，重新点开链接。"


@dataclass(frozen=True)
class Unbound:
    openid: str
    nonce: str
    back: str


class BindCookies:
    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash

    @functools.cached_property
    def serializer(self) -> URLSafeSerializer:
        """Made at the first request (the key may live in the database), like the sessions' and the states'."""
        key = self.dash.app.settings.web.secret.get_secret_value()
        if not key:
            with self.dash.app.db.session() as session:
                key = signing_key(session=session)
        return URLSafeSerializer(key, salt="studybot.web.h5-bind")

    def set(self, response: Response, openid: str, back: str) -> None:
        now = self.dash.app.clock.now()
        value = self.serializer.dumps([openid, now.strftime(_STAMP), secrets.token_urlsafe(16), local_path(back)])
        response.set_cookie(BIND_COOKIE, str(value), httponly=True, path=BIND_PATH, max_age=BIND_MINUTES * 60,
                            **self.dash.cookie_flags())

    def read(self, request: Request) -> Unbound:
        cookie = request.cookies.get(BIND_COOKIE)
        try:
            openid, made, nonce, back = self.serializer.loads(cookie or "")
            issued = datetime.strptime(str(made), _STAMP)
        except (BadSignature, ValueError, TypeError):
            raise Refused(403, GONE, "无法绑定") from None
        now = self.dash.app.clock.now()
        if not issued - timedelta(minutes=1) <= now <= issued + timedelta(minutes=BIND_MINUTES):
            raise Refused(403, GONE, "无法绑定")
        return Unbound(str(openid), str(nonce), local_path(str(back), "/h5/"))


@dataclass(frozen=True)
class Asked:
    name: str
    branch: str
    at: datetime


def bind_form(dash: Dashboard, request: Request, unbound: Unbound, *, status: int = 200, **context: object) -> Response:
    """The bind page: the code form, and the request form or the request already waiting."""
    with dash.app.db.session() as session:
        waiting = pending_of_account(session=session, openid=unbound.openid, now=dash.app.clock.now())
        branch = session.get(Branch, waiting[1].branch_id) if waiting is not None and waiting[1].branch_id else None
    asked = Asked(waiting[1].name, branch.name if branch else "", waiting[0].asked_at) if waiting else None
    context.setdefault("error", "")
    context.setdefault("typed", "")
    return dash.page(request, "h5/bind.html", status, title="绑定微信", member=None, t=unbound.nonce, asked=asked,
                     **context)


def _enter(dash: Dashboard, member_id: int, back: str) -> Response:
    response = RedirectResponse(back, status_code=303)
    dash.set_session(response, dash.sessions.new(member_id, dash.app.clock.now()))
    response.delete_cookie(BIND_COOKIE, path=BIND_PATH)
    return response


def add_bind_page(web: FastAPI, dash: Dashboard, cookies: BindCookies) -> None:
    def form(request: Request, unbound: Unbound, *, error: str = "", name: str = "", status: int = 200) -> Response:
        return bind_form(dash, request, unbound, status=status, error=error, typed=name)

    @web.get(BIND_PATH)
    def show(request: Request) -> Response:
        unbound = cookies.read(request)
        now = dash.app.clock.now()
        with dash.app.db.session() as session:
            member = bound_member(session=session, openid=unbound.openid)
            member_id = member.id if member is not None else None
            if member_id is not None:  # a secretary approved the request meanwhile
                audit(session=session, member_id=member_id, action="login", detail="微信公众号：绑定申请已同意",
                      now=now)
                session.commit()
        return form(request, unbound) if member_id is None else _enter(dash, member_id, unbound.back)

    @web.post(BIND_PATH)
    async def bind(request: Request) -> Response:
        unbound = cookies.read(request)
        fields = await form_fields(request)
        if not hmac.compare_digest(unbound.nonce, fields.get("t", "")):
            raise Refused(403, GONE, "无法绑定")
        name, code = fields.get("name", "").strip()[:100], fields.get("code", "").strip()[:40]
        if not name or not code:
            return form(request, unbound, error="请填写姓名和绑定码。", name=name, status=400)
        now = dash.app.clock.now()
        from starlette.concurrency import run_in_threadpool

        def write() -> int:
            with dash.app.db.session() as session:
                member = bind_account(session=session, openid=unbound.openid, name=name, code=code, now=now)
                assert member.id is not None
                audit(session=session, member_id=member.id, action="bind", detail="微信公众号：姓名与绑定码", now=now)
                session.commit()
                return member.id

        try:
            member_id = await run_in_threadpool(write)
        except BindRefused as refused:
            return form(request, unbound, error=refused.message, name=name, status=403)
        return _enter(dash, member_id, unbound.back)
