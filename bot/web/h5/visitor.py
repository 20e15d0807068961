"""Who is on a member page: the logged-in member (the dashboard's session cookie), or nobody. A page without a login
shows what is public (a question's text) and never a name or a score; the login link brings the visitor back."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request

from bot.web.dashboard import Dashboard, Refused
from bot.web.viewer import Viewer

__all__ = ["visitor", "login_path", "H5_LOGIN"]

H5_LOGIN = "/h5/login"


def visitor(dash: Dashboard, request: Request) -> Viewer | None:
    """The logged-in member, or None (not logged in, or the member is gone)."""
    try:
        return dash.viewer(request)
    except Refused:
        return None


def login_path(request: Request) -> str:
    """The login page, with the page to come back to (a path on this site only: no open redirect)."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{H5_LOGIN}?next={quote(back, safe='')}"
