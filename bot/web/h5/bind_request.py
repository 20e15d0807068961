"""/h5/bind/request (申请绑定): a member with no binding code sends their name and an optional note from the bind
page; the request waits for their branch's 书记 or 委员 (bot/storage/bind_requests.py), who are told privately
through the outbox and decide on the dashboard (bot/web/pages/binding.py). Refused (a name not on the roster, a
member already bound, too many tries, a request already waiting) with the reason and nothing stored; when several
members share the name, the page asks for the branch. Stored, the browser goes back to the bind page, which says the
request is waiting. The same cookie and double-submit nonce as the code form."""

from __future__ import annotations

import hmac

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.services.binding import tell_about_request
from bot.storage.bind_codes import BindRefused
from bot.storage.bind_requests import ChooseBranch, ask_binding
from bot.storage.branches import branch_names
from bot.storage.web_logins import audit
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.bind import BIND_PATH, GONE, BindCookies, bind_form
from bot.web.security import form_fields
from safeio.text import plain_text

__all__ = ["add_bind_request", "REQUEST_PATH", "NOTE_CHARS"]

REQUEST_PATH = BIND_PATH + "/request"
NOTE_CHARS = 100


def _line(text: str, limit: int) -> str:
    """One line of plain text: what a secretary reads in a chat notice and on the dashboard."""
    return " ".join(plain_text(text).split())[:limit]


def add_bind_request(web: FastAPI, dash: Dashboard, cookies: BindCookies) -> None:
    settings = dash.app.settings
    base = settings.web.address(settings.server.host, settings.server.port)

    @web.post(REQUEST_PATH)
    async def ask(request: Request) -> Response:
        unbound = cookies.read(request)
        fields = await form_fields(request)
        if not hmac.compare_digest(unbound.nonce, fields.get("t", "")):
            raise Refused(403, GONE, "无法绑定")
        name, note = _line(fields.get("name", ""), 100), _line(fields.get("note", ""), NOTE_CHARS)
        branch_text = fields.get("branch", "").strip()
        branch_id = int(branch_text) if branch_text.isdigit() and len(branch_text) < 12 else None
        typed = {"typed": name, "note": note}
        if not name:
            return bind_form(dash, request, unbound, status=400, error="请填写您在名册中的姓名。", **typed)
        now = dash.app.clock.now()

        def write() -> None:
            with dash.app.db.session() as session:
                asked, member = ask_binding(session=session, openid=unbound.openid, name=name, note=note,
                                            branch_id=branch_id, now=now)
                assert asked.id is not None
                branch = branch_names(session=session).get(member.branch_id or 0, "")
                audit(session=session, member_id=None, action="bind_ask",
                      detail=f"微信公众号账号申请绑定为{branch}「{member.name}」（编号 {asked.id}）", now=now)
                tell_about_request(session, request_id=asked.id, member=member, note=note, base=base, now=now)
                session.commit()

        try:
            await run_in_threadpool(write)
        except ChooseBranch as choose:
            return bind_form(dash, request, unbound, status=400, error=choose.message, choices=choose.choices,
                             **typed)
        except BindRefused as refused:
            return bind_form(dash, request, unbound, status=403, error=refused.message, **typed)
        return RedirectResponse(BIND_PATH + "#ask", status_code=303)  # a reload asks nothing twice
