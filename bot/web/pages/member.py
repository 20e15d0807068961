"""/member (我的) goes to the viewer's own page; /member/{id} (成员): the member's points, the ledger's entries with
their reasons and sources (the words of 积分明细, 30 at a time with 「更多」), the contests they took, their 错题本
count and their 三会一课 (出席, 请假, 列席, 缺席). A plain member sees only their own page; a 书记 or 委员 their
branch's members; scope in the SQL (bot/storage/dashboard_member.py). Every table exports (bot/web/tables.py)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.web.dashboard import Dashboard, Refused
from bot.web.pages.branch_view import category_text, number_of, role_text
from bot.web.pages.member_view import LEDGER_PAGE, member_view
from bot.web.tables import download

__all__ = ["add_member_pages"]


def _shown(text: str) -> int:
    """How many ledger lines to show: ?n=60 after 「更多」 (a multiple of the page, at least one page)."""
    n = int(text) if text.isdigit() and len(text) < 7 else LEDGER_PAGE
    return max((n + LEDGER_PAGE - 1) // LEDGER_PAGE, 1) * LEDGER_PAGE


def add_member_pages(web: FastAPI, dash: Dashboard) -> None:
    @web.get("/member")
    def mine(request: Request) -> Response:
        viewer = dash.viewer(request)
        return RedirectResponse(f"/member/{viewer.member_id}", status_code=303)

    @web.get("/member/{member}")
    def member_page(request: Request, member: str) -> Response:
        viewer = dash.viewer(request)
        view = member_view(dash, viewer, number_of(member, "成员"))
        shown = _shown(request.query_params.get("n", ""))
        branch_link = f"/branch/{view.member.branch_id}" if viewer.scope.sees_branch(view.member.branch_id) else ""
        meeting_links = [f"/meetings/{m.meeting_id}" if viewer.scope.sees_branches else "" for m in view.meetings]
        return dash.page(request, "member.html", viewer=viewer, view=view, ledger=view.ledger_table(shown),
                         more=shown + LEDGER_PAGE if len(view.ledger) > shown else 0, contests=view.contests_table(),
                         meetings=view.meetings_table(), meeting_links=meeting_links, branch_link=branch_link,
                         attendance=view.attendance_counts(), title=view.member.name,
                         role=role_text(view.member.role, view.member.position),
                         category=category_text(view.member.category))

    @web.get("/member/{member}/{table}/export.{fmt}")
    def member_export(request: Request, member: str, table: str, fmt: str) -> Response:
        viewer = dash.viewer(request)
        if table not in ("ledger", "contests", "meetings"):
            raise Refused(404, "没有这个表格。", "没有这个页面")
        view = member_view(dash, viewer, number_of(member, "成员"))
        tables = {"ledger": view.ledger_table, "contests": view.contests_table, "meetings": view.meetings_table}
        chosen = tables[table]()
        return download(dash, viewer, chosen, fmt, chosen.title)
