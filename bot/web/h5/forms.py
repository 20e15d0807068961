"""A member page's form: the session's CSRF token checked first (a forged or missing token stores nothing), then
the fields; a field may repeat (the boxes of a 多选)."""

from __future__ import annotations

from starlette.requests import Request

from bot.web.dashboard import Dashboard, Refused
from bot.web.security import form_lists

__all__ = ["checked_form", "first", "EXPIRED"]

EXPIRED = "请求无效（页面已过期）：请刷新页面后再试。"


async def checked_form(dash: Dashboard, request: Request) -> dict[str, list[str]]:
    """The form's fields (each with all its values), or Refused(403) when the CSRF token is missing or wrong.
    Call after dash.viewer(request): the token belongs to the logged-in session."""
    data = getattr(request.state, "session", None)
    fields = await form_lists(request)
    token = (fields.get("csrf") or [""])[0]
    if data is None or not dash.sessions.csrf_ok(data, token):
        raise Refused(403, EXPIRED, "页面已过期")
    return fields


def first(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]
