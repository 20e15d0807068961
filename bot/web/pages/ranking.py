"""/ranking (排行): members or branches by period and category, a name search and paging (HTMX swaps the table;
without JavaScript the same form and links load the whole page), and the current view as .xlsx or .csv."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.services.rank_table import cell, rank_csv, rank_xlsx
from bot.storage.branches import all_branches
from bot.storage.web_logins import audit
from bot.web.dashboard import Dashboard
from bot.web.pages.ranking_query import CATEGORIES, PAGE_SIZE, RankingQuery
from scheduler.periods import PERIOD_LABELS
from scheduler.points import CATEGORY_LABELS

__all__ = ["add_ranking_pages"]

_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "csv": "text/csv; charset=utf-8"}


def add_ranking_pages(web: FastAPI, dash: Dashboard) -> None:
    @web.get("/ranking")
    def ranking(request: Request) -> Response:
        viewer = dash.viewer(request)
        query = RankingQuery.read(request.query_params, viewer)
        today = dash.app.clock.now().date()
        with dash.app.db.session() as session:
            records, columns, total = query.rows(session, viewer, today)
            branches = [b for b in all_branches(session=session) if viewer.scope.sees_branch(b.id)]
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        shown = [[(key, cell(key, record[key])) for key in columns] for record in records]
        # every row is in the viewer's scope (the query's condition), so its 成员 or 支部 page is theirs to open
        links = [f"/member/{r['member_id']}" if query.by == "member" else f"/branch/{r['branch_id']}" for r in records]
        context = dict(viewer=viewer, query=query, columns=columns, rows=shown, links=links, total=total, pages=pages,
                       periods=PERIOD_LABELS, categories=[(c.value, CATEGORY_LABELS[c]) for c in CATEGORIES],
                       branches=branches, title="排行")
        partial = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "ranking-table"
        return dash.page(request, "ranking_table.html" if partial else "ranking.html", **context)

    @web.get("/ranking/export.{fmt}")
    def export(request: Request, fmt: str) -> Response:
        viewer = dash.viewer(request)
        if fmt not in _TYPES:
            return dash.page(request, "message.html", 404, title="没有这个页面", message="只能导出 xlsx 或 csv。")
        query = RankingQuery.read(request.query_params, viewer)
        now = dash.app.clock.now()
        with dash.app.db.session() as session:
            records, columns, _ = query.rows(session, viewer, now.date(), everything=True)
            kind = "个人" if query.by == "member" else "支部"
            audit(session=session, member_id=viewer.member_id, action="export",
                  detail=f"排行（{query.label()}，{query.key(now.date())}）{fmt}，{len(records)} 行", now=now)
            session.commit()
        body = rank_xlsx(records, columns, kind) if fmt == "xlsx" else rank_csv(records, columns)
        name = f"{kind}排行-{query.key(now.date()).replace('/', '-')}.{fmt}"
        headers = {"Content-Disposition": f"attachment; filename=\"ranking.{fmt}\"; filename*=UTF-8''{quote(name)}"}
        return Response(body, media_type=_TYPES[fmt], headers=headers)
