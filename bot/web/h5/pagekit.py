"""What the members' pages share: the page for a visitor not logged in (a login button, nothing else), and a
refusal shown on a member page (not the dashboard's) with its status and a clear Chinese message."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.visitor import login_path
from bot.web.viewer import Viewer

__all__ = ["login_first", "refusal"]


def login_first(dash: Dashboard, request: Request, title: str, status: int = 200) -> HTMLResponse:
    return dash.page(request, "h5/login_first.html", status, login=login_path(request), title=title)


def refusal(dash: Dashboard, request: Request, error: Refused, member: Viewer | None,
            back: str = "/h5/") -> HTMLResponse:
    return dash.page(request, "h5/message.html", error.status, member=member, title=error.title,
                     message=str(error.message), back=back)
