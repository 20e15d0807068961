"""What every dashboard page shares: the app, the templates, the sessions, and who is looking (Dashboard.viewer)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from bot.app import App
from bot.storage.web_logins import signing_key
from bot.web.auth import SESSION_COOKIE, SessionData, Sessions
from bot.web.viewer import Viewer, viewer_of
from bot.web.viewer_cache import ViewerCache

__all__ = ["Dashboard", "Refused", "TEMPLATES", "STATIC", "script_json"]

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
RENEW_AFTER = timedelta(minutes=1)  # the idle timeout is counted in minutes: a cookie a minute old is renewed
NOT_LOGGED_IN = "请先登录：在企业微信或钉钉中私聊机器人发送「管理后台」，打开收到的链接（仅可使用一次）。"


class Refused(Exception):
    """A request answered with a Chinese page and this status (401 not logged in, 403 not yours, 404, 410 used)."""

    def __init__(self, status: int, message: str, title: str = "无法访问") -> None:
        super().__init__(message)
        self.status, self.message, self.title = status, message, title


@dataclass
class Dashboard:
    app: App
    templates: Jinja2Templates = field(default_factory=lambda: Jinja2Templates(directory=str(TEMPLATES)))

    @functools.cached_property
    def sessions(self) -> Sessions:
        """Made at the first request, not when the app is built: the key may have to be read from (or written to)
        the database, whose schema the service creates at start."""
        web = self.app.settings.web
        key = web.secret.get_secret_value()
        if not key:
            with self.app.db.session() as session:
                key = signing_key(session=session)
        return Sessions(key, idle_minutes=web.idle_minutes)

    @property
    def secure_cookies(self) -> bool:
        return self.app.settings.web.base_url.startswith("https://")

    def cookie_flags(self, samesite: str = "lax") -> dict[str, Any]:
        """SameSite and Secure for the dashboard's cookies. Embedded (web.embed), the page lives in an iframe of
        WeCom's or DingTalk's console, another site: browsers send Lax or Strict cookies to a cross-site iframe
        never, so the session would be lost on every click. There the cookies are SameSite=None, which browsers
        accept only with Secure (hence embed requires an https:// base_url); CSRF tokens on forms and the login
        state's double submit keep the protection SameSite gave."""
        if self.app.settings.web.embed:
            return {"samesite": "none", "secure": True}
        return {"samesite": samesite, "secure": self.secure_cookies}

    def session_of(self, request: Request) -> SessionData | None:
        return self.sessions.load(request.cookies.get(SESSION_COOKIE), self.app.clock.now())

    def set_session(self, response: Response, data: SessionData) -> None:
        response.set_cookie(SESSION_COOKIE, self.sessions.dump(data), httponly=True, path="/", **self.cookie_flags())

    def viewer(self, request: Request) -> Viewer:
        """Who is looking, or Refused(401). The session's last-seen time moves on with every page (sliding idle
        timeout): the renewed cookie is set by SecurityHeaders on the way out."""
        data = self.session_of(request)
        if data is None:
            raise Refused(401, NOT_LOGGED_IN, "请登录")
        viewer = self.read_viewer(data.member_id)
        if viewer is None:
            raise Refused(401, NOT_LOGGED_IN, "请登录")
        renewed = self.sessions.touched(data, self.app.clock.now())
        if renewed.seen - data.seen >= RENEW_AFTER:  # not a new cookie for each of a contest's answers
            request.state.set_cookie = lambda response: self.set_session(response, renewed)
        request.state.session = renewed
        return viewer

    def read_viewer(self, member_id: int) -> Viewer | None:
        """The member as a viewer, from the database; None when the member is gone."""
        with self.app.db.engine.connect() as connection:  # a Core read: no ORM session per request
            return viewer_of(connection, member_id, self.app.settings.meetings.groups)

    @functools.cached_property
    def viewers(self) -> ViewerCache:
        """Members remembered for a minute: only for the live contest page's answers and streams (see the module)."""
        return ViewerCache(self.read_viewer)

    def csrf(self, request: Request) -> str:
        data = getattr(request.state, "session", None)
        return self.sessions.csrf(data) if data is not None else ""

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("viewer", None)
        context["csrf"] = self.csrf(request)
        context["bot_name"] = self.app.settings.bot.name
        context["path"] = request.url.path
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def refused(self, request: Request, error: Refused) -> HTMLResponse:
        return self.page(request, "message.html", error.status, title=error.title, message=error.message)


def script_json(data: object) -> str:
    """JSON safe inside <script type="application/json"> (where charts read their data: the CSP allows no inline
    script): no < > & that could close the block or open a comment."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
