"""Who is on a member page: the logged-in member (the dashboard's session cookie), or nobody. A page without a login
shows what is public (a question's text) and never a name or a score; the login link brings the visitor back."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from bot.web.auth import SESSION_COOKIE, SessionData
from bot.web.dashboard import RENEW_AFTER, Dashboard, Refused
from bot.web.plain import cookies
from bot.web.viewer import Viewer

__all__ = ["visitor", "login_path", "H5_LOGIN", "Visit", "live_visit"]

H5_LOGIN = "/h5/login"


def visitor(dash: Dashboard, request: Request) -> Viewer | None:
    """The logged-in member, or None (not logged in, or the member is gone)."""
    try:
        return dash.viewer(request)
    except Refused:
        return None


@dataclass(frozen=True)
class Visit:
    viewer: Viewer
    session: SessionData  # its last-seen time moved on (sliding idle timeout), as Dashboard.viewer does
    set_cookie: list[tuple[bytes, bytes]]  # the renewed cookie's header, once its last-seen time is a minute old


def live_visit(dash: Dashboard, scope: Scope) -> Visit | None:
    """The logged-in member on the live contest page's plain routes (bot/web/h5/live_routes.py), or None: the same
    session rules as Dashboard.viewer, the member remembered for a minute (Dashboard.viewers)."""
    now = dash.app.clock.now()
    data = dash.sessions.load(cookies(scope).get(SESSION_COOKIE), now)
    if data is None:
        return None
    viewer = dash.viewers.viewer(data.member_id, now)
    if viewer is None:
        return None
    renewed = dash.sessions.touched(data, now)
    set_cookie: list[tuple[bytes, bytes]] = []
    if renewed.seen - data.seen >= RENEW_AFTER:
        holder = Response()
        dash.set_session(holder, renewed)
        set_cookie = [(name, value) for name, value in holder.raw_headers if name == b"set-cookie"]
    return Visit(viewer, renewed, set_cookie)


def login_path(request: Request) -> str:
    """The login page, with the page to come back to (a path on this site only: no open redirect)."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{H5_LOGIN}?next={quote(back, safe='')}"
