"""/branch (支部): the branches in the viewer's scope with this month's members, participants, points and 三会一课
flag (a 书记 or 委员, who sees one branch, goes straight to it), and /branch/{id}: the branch's members by points in a
period (本周 … 总, the totals `studybot rank` reads), their answers, 已学 and meetings, its meetings and its chat
groups. Every table downloads as .xlsx or .csv (bot/web/tables.download)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.storage.dashboard_branch import staffed_branches
from bot.storage.ranking import branch_ranking
from bot.storage.scope import Scope
from bot.web.dashboard import Dashboard, Refused
from bot.web.pages.branch_view import NOT_YOUR_BRANCH, UPCOMING_DAYS, branch_view, number_of, read_period
from bot.web.pages.overview import meeting_flags
from bot.web.tables import Column, Table, download
from bot.web.viewer import Viewer
from scheduler.periods import PERIOD_LABELS, Period, period_key

__all__ = ["add_branch_pages"]

LIST_PAGE = 50  # branches on a page of the list (the download: all of them)
FLAG_WORDS = {"red": "未达要求", "amber": "需关注", "green": "正常"}
LIST_COLUMNS = (Column("支部", width=20), Column("人数"), Column("本月参与人数"), Column("本月积分"),
                Column("三会一课", width=14))


def branch_list(dash: Dashboard, viewer: Viewer, page: int | None = None) -> tuple[Table, list[int], list[str], int]:
    """The branches in scope as a table (all, or one page of LIST_PAGE), their ids and flag colours (in the table's
    order: by name), and how many branches there are in all. A page reads the figures of its own branches only."""
    today = dash.app.clock.now().date()
    scope = viewer.scope
    with dash.app.db.session() as session:
        shown: frozenset[int] | None = None if scope.everything else scope.branch_ids
        total = 0
        if page is not None:
            ids, total = staffed_branches(session, scope.branch_filter(), offset=(page - 1) * LIST_PAGE,
                                          limit=LIST_PAGE)
            shown = frozenset(ids)
        branches = branch_ranking(session=session, period_key=period_key(Period.MONTH, today), branch_ids=shown)
        narrowed = viewer if shown is None else replace(viewer, scope=Scope(branch_ids=shown))
        flags = {f.branch: f.colour for f in meeting_flags(dash, session, narrowed, today)}
    branches.sort(key=lambda b: (b.name, b.branch_id))
    colours = [flags.get(b.name, "") for b in branches]
    rows = [(b.name, b.members, b.participants, b.total_points, FLAG_WORDS.get(colour, "—"))
            for b, colour in zip(branches, colours)]
    table = Table(f"支部-{today:%Y-%m}", LIST_COLUMNS, rows)
    return table, [b.branch_id for b in branches], colours, total if page is not None else len(rows)


def _page_number(text: str) -> int:
    return max(int(text), 1) if text.isdigit() and len(text) < 7 else 1


def add_branch_pages(web: FastAPI, dash: Dashboard) -> None:
    @web.get("/branch")
    def branches(request: Request) -> Response:
        viewer = dash.viewer(request)
        scope = viewer.scope
        if not scope.sees_branches:
            raise Refused(403, NOT_YOUR_BRANCH)
        if not scope.everything and len(scope.branch_ids) == 1:
            return RedirectResponse(f"/branch/{next(iter(scope.branch_ids))}", status_code=303)
        number = _page_number(request.query_params.get("page", ""))
        table, ids, colours, total = branch_list(dash, viewer, number)
        pages = max((total + LIST_PAGE - 1) // LIST_PAGE, 1)
        if number > pages:  # past the end: the last page
            number = pages
            table, ids, colours, total = branch_list(dash, viewer, number)
        return dash.page(request, "branches.html", viewer=viewer, table=table, ids=ids, colours=colours,
                         total=total, page_number=number, pages=pages, title="支部")

    @web.get("/branch/export.{fmt}")
    def branches_export(request: Request, fmt: str) -> Response:
        viewer = dash.viewer(request)
        if not viewer.scope.sees_branches:
            raise Refused(403, NOT_YOUR_BRANCH)
        table, _, _, _ = branch_list(dash, viewer)
        return download(dash, viewer, table, fmt, f"支部列表（{table.title}）")

    @web.get("/branch/{branch}")
    def branch_page(request: Request, branch: str) -> Response:
        viewer = dash.viewer(request)
        view = branch_view(dash, viewer, number_of(branch, "支部"), read_period(request.query_params))
        member_links = [f"/member/{m.member_id}" for m in view.members]  # every one is in scope (the SQL)
        meeting_links = [f"/meetings/{i}" for i in view.meeting_ids()]
        return dash.page(request, "branch.html", viewer=viewer, view=view, members=view.members_table(),
                         member_links=member_links, meetings=view.meetings_table(), meeting_links=meeting_links,
                         groups=view.groups_table(), periods=PERIOD_LABELS, upcoming_days=UPCOMING_DAYS,
                         title=view.branch.name)

    @web.get("/branch/{branch}/{table}/export.{fmt}")
    def branch_export(request: Request, branch: str, table: str, fmt: str) -> Response:
        viewer = dash.viewer(request)
        if table not in ("members", "meetings", "groups"):
            raise Refused(404, "没有这个表格。", "没有这个页面")
        view = branch_view(dash, viewer, number_of(branch, "支部"), read_period(request.query_params))
        chosen = {"members": view.members_table, "meetings": view.meetings_table, "groups": view.groups_table}[table]()
        return download(dash, viewer, chosen, fmt, chosen.title)
