"""/study (学习): the study plans and the next pushes (when, what, to which groups); per study item: how often it was
pushed, the members its pushes reached (推送到) and, of them, who marked it 已学 — as a funnel (static/study.js draws
the JSON block with the vendored ECharts) — and per branch for the 党委. ?item= narrows the funnel and the branch
table to one item. Every table downloads as .xlsx / .csv."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.services.study_outlook import NextPush, PlanLine, study_outlook
from bot.storage.dashboard_study import BranchFigures, ItemFigures, branch_sizes, study_facts
from bot.storage.roster_cache import RosterCache
from bot.storage.scope import Scope
from bot.web.dashboard import Dashboard, Refused, script_json
from bot.web.tables import Column, Table, download
from bot.web.viewer import Viewer

__all__ = ["add_study_pages", "ITEM_COLUMNS", "BRANCH_COLUMNS"]

NOT_FOR_MEMBERS = "学习统计仅对书记、委员和党委开放；您的学习情况见「总览」。"
ITEM_COLUMNS = [Column("学习资料", width=28), Column("编号", width=20), Column("推送次数", width=8),
                Column("最近推送", width=17), Column("推送到（人）", width=10), Column("其中已学", width=8),
                Column("已学率", "0.0%", 8), Column("已学（全部）", width=10)]
BRANCH_COLUMNS = [Column("支部", width=18), Column("推送到（人次）", width=12), Column("其中已学", width=8),
                  Column("已学率", "0.0%", 8), Column("已学（全部）", width=10)]
PLAN_COLUMNS = [Column("计划", width=20), Column("时间", width=20), Column("推送到", width=28),
                Column("内容", width=40)]
NEXT_COLUMNS = [Column("时间", width=17), Column("内容", width=28), Column("推送到", width=28),
                Column("来源", width=30)]


Sizes = RosterCache[dict[int | None, int]]  # the members per branch, remembered until the roster changes


@dataclass(frozen=True)
class StudyView:
    item_id: str | None
    items: list[tuple[str, ItemFigures]]  # (title, figures)
    branches: list[BranchFigures]
    plans: list[PlanLine]
    upcoming: list[NextPush]


def _view(dash: Dashboard, request: Request, viewer: Viewer, everyone: Sizes) -> StudyView:
    if not viewer.scope.sees_branches:
        raise Refused(403, NOT_FOR_MEMBERS)
    schedule = dash.app.schedule
    library = schedule.study.library
    scope = viewer.scope
    item_id = str(request.query_params.get("item", "")).strip()[:200] or None
    with dash.app.db.session() as session:
        facts = study_facts(session, scope, everyone)
        plans, upcoming = study_outlook(schedule.pushes, library, schedule.jobs, session, sees_branch=scope.sees_branch,
                                        everything=scope.everything, branch_ids=scope.branch_ids)

    figures = facts.items()
    if item_id is not None and library.get(item_id) is None and item_id not in {f.item_id for f in figures}:
        raise Refused(404, f"没有找到学习资料「{item_id[:30]}」。", "没有这份资料")
    if item_id is not None and (item := library.get(item_id)) is not None:
        item_id = item.id
    branches = facts.branches(item_id)

    def title(i: str) -> str:
        found = library.get(i)
        return found.title if found else i

    items = sorted(((title(f.item_id), f) for f in figures), key=lambda pair: pair[0])
    items.sort(key=lambda pair: pair[1].last_pushed or datetime.min, reverse=True)  # the latest pushed first
    return StudyView(item_id, items, branches, plans, upcoming)


def _funnel(view: StudyView) -> dict[str, object]:
    chosen = [f for _, f in view.items if view.item_id in (None, f.item_id)]
    reached = sum(f.reached for f in chosen)
    read_of = sum(f.read_of_reached for f in chosen)
    read = sum(f.read for f in chosen)
    return {"stages": [{"name": "推送到", "value": reached}, {"name": "其中已学", "value": read_of}],
            "unpushed_reads": read - read_of,
            "branches": [{"name": b.branch, "reached": b.reached, "read": b.read_of_reached} for b in view.branches]}



def _item_rows(view: StudyView) -> Iterable[Sequence[object]]:
    for title, f in view.items:
        last = f"{f.last_pushed:%Y-%m-%d %H:%M}" if f.last_pushed else ""
        yield [title, f.item_id, f.pushes, last, f.reached, f.read_of_reached, f.rate, f.read]


def _branch_rows(view: StudyView) -> Iterable[Sequence[object]]:
    for b in view.branches:
        yield [b.branch, b.reached, b.read_of_reached, b.rate, b.read]


def add_study_pages(web: FastAPI, dash: Dashboard) -> None:
    everyone: Sizes = RosterCache(lambda session: branch_sizes(session, Scope(everything=True)))

    @web.get("/study")
    def study(request: Request) -> Response:
        viewer = dash.viewer(request)
        view = _view(dash, request, viewer, everyone)
        funnel = _funnel(view)
        chosen = next((t for t, f in view.items if f.item_id == view.item_id), view.item_id)
        return dash.page(request, "study.html", viewer=viewer, view=view, funnel=funnel, chart=script_json(funnel),
                         chosen=chosen, item_rows=list(_item_rows(view)), item_columns=ITEM_COLUMNS,
                         branch_rows=[[c.text(v) for c, v in zip(BRANCH_COLUMNS, row, strict=True)]
                                      for row in _branch_rows(view)], branch_columns=BRANCH_COLUMNS, title="学习")

    tables = {
        "": lambda v: ("学习资料推送与已学", ITEM_COLUMNS, _item_rows(v)),
        "/branches": lambda v: ("各支部学习情况", BRANCH_COLUMNS, _branch_rows(v)),
        "/plans": lambda v: ("学习计划", PLAN_COLUMNS, ([p.name, p.when, p.to, p.items] for p in v.plans)),
        "/next": lambda v: ("即将推送", NEXT_COLUMNS, ([f"{p.at:%Y-%m-%d %H:%M}", p.what, p.to, p.source]
                                                   for p in v.upcoming)),
    }
    for suffix, make in tables.items():
        def export(request: Request, fmt: str, make=make) -> Response:  # noqa: ANN001 — bound per table
            viewer = dash.viewer(request)
            view = _view(dash, request, viewer, everyone)
            name, columns, rows = make(view)
            what = f"学习（{name}{'，' + view.item_id if view.item_id else ''}）"
            return download(dash, viewer, Table(name, columns, rows), fmt, what)

        web.add_api_route(f"/study{suffix}/export.{{fmt}}", export, methods=["GET"])
