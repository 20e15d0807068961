"""/audit (审计): who logged in, exported, and changed points by hand or attendance, newest first, 50 a page. Only
those who see everything (管理员, the 党委) may read it: it names every branch's members."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.storage.audit_trail import audit_trail
from bot.web.dashboard import Dashboard, Refused

__all__ = ["add_audit_page", "AUDIT_PAGE_SIZE"]

AUDIT_PAGE_SIZE = 50


def add_audit_page(web: FastAPI, dash: Dashboard) -> None:
    @web.get("/audit")
    def audit_page(request: Request) -> Response:
        viewer = dash.viewer(request)
        if not viewer.scope.everything:
            raise Refused(403, "审计记录只有管理员和党委成员可以查看。")
        try:
            page = max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            page = 1
        with dash.app.db.session() as session:
            rows, total = audit_trail(session, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE)
        pages = max((total + AUDIT_PAGE_SIZE - 1) // AUDIT_PAGE_SIZE, 1)
        return dash.page(request, "audit.html", viewer=viewer, rows=rows, page=min(page, pages), pages=pages,
                         total=total, title="审计")
