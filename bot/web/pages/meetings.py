"""/meetings (三会一课): each branch in scope × the months (or quarters) of a year × meeting type — 已开 / 应开,
待补记录, 出勤率 — coloured green (held as required), red (short in a period that has ended) or amber (records
pending, or not yet held in the running period), from the same figures as 会议统计 and `studybot meetings report`
(bot/services/meeting_grid.py: each branch's meetings read once for the whole year); one branch's meetings of the
year (台账), each linking to its record (/meetings/{id}); both tables as .xlsx / .csv."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.services.meeting_grid import meeting_grid
from bot.services.meeting_report import MeetingRecord
from bot.services.meeting_sheet import meeting_sheet
from bot.storage.branches import all_branches
from bot.storage.dashboard_meetings import meeting_in_scope
from bot.web.dashboard import Dashboard, Refused
from bot.web.pages.meetings_query import PERIOD_WORDS, MeetingsQuery, arrange
from bot.web.tables import Column, Table, download
from bot.web.viewer import Viewer
from scheduler.meetings import verbs

__all__ = ["add_meetings_pages", "GRID_COLUMNS", "LEDGER_COLUMNS"]

# the same columns as `studybot meetings report` (bot/cli/meetings_report.py HEADERS)
GRID_COLUMNS = [Column("支部", width=18), Column("会议类型", width=16), Column("期间", width=14),
                Column("已开", width=6), Column("应开", width=6), Column("达标", width=8), Column("出勤率", "0.0%", 8),
                Column("待补记录", width=8), Column("请假人次", width=8), Column("不足法定人数", width=10)]
LEDGER_COLUMNS = [Column("编号", width=6), Column("支部", width=18), Column("日期", width=17),
                  Column("会议类型", width=16), Column("地点", width=14), Column("主题", width=24),
                  Column("应到人数", width=8), Column("出席", width=24), Column("请假", width=14),
                  Column("缺席", width=18), Column("列席", width=14), Column("会议记录", width=8),
                  Column("状态", width=12)]
NO_MEETING = "没有这次会议，或它不属于您可以查看的支部。"


def state_of(m: MeetingRecord) -> str:
    return (f"已{verbs(m.type_key)[0]}" if m.held else "待补记录") + ("（不足法定人数）" if m.quorum_short else "")


def ledger_values(m: MeetingRecord) -> list[object]:
    names = ["、".join(people) for people in (m.present, m.leave, m.absent, m.observers)]
    return [m.id, m.branch, f"{m.start:%Y-%m-%d %H:%M}", m.type_name, m.place, m.topic, len(m.expected), *names,
            "有" if m.minutes else "无", state_of(m)]


def add_meetings_pages(web: FastAPI, dash: Dashboard) -> None:
    def compute(request: Request, viewer: Viewer) -> tuple[MeetingsQuery, list, dict[int, list[MeetingRecord]]]:
        now = dash.app.clock.now()
        query = MeetingsQuery.read(request.query_params, viewer, now.year)
        with dash.app.db.session() as session:
            cells, ledger = meeting_grid(dash.app.schedule.attendance.reports, session, period=query.period,
                                         year=query.year, now=now, branch_ids=query.branch_ids(viewer))
        return query, cells, ledger

    @web.get("/meetings")
    def meetings(request: Request) -> Response:
        viewer = dash.viewer(request)
        now = dash.app.clock.now()
        query = MeetingsQuery.read(request.query_params, viewer, now.year)
        with dash.app.db.session() as session:
            branches = [b for b in all_branches(session=session) if viewer.scope.sees_branch(b.id)]
            shown, pages = ([query.branch_id], 1) if query.branch_id is not None else \
                query.page_of([b.id for b in branches if b.id is not None])
            cells, ledger = meeting_grid(dash.app.schedule.attendance.reports, session, period=query.period,
                                         year=query.year, now=now, branch_ids=shown)
        periods, grids = arrange(cells)
        records = ledger.get(query.branch_id, []) if query.branch_id is not None else []
        return dash.page(request, "meetings.html", viewer=viewer, query=query, periods=periods, grids=grids,
                         branches=branches, records=[(m, state_of(m)) for m in records], period_words=PERIOD_WORDS,
                         years=range(now.year, now.year - 5, -1), pages=pages, page=min(query.page, pages),
                         title="三会一课")

    @web.get("/meetings/export.{fmt}")
    def export_grid(request: Request, fmt: str) -> Response:
        viewer = dash.viewer(request)
        query, cells, _ = compute(request, viewer)
        rows = ([r.branch, r.type, r.period, r.held, r.required, r.met, r.attendance_rate, r.pending, r.leave,
                 r.quorum_problems] for r in (c.row for c in cells))
        title = f"三会一课-{query.year}年{PERIOD_WORDS[query.period]}"
        return download(dash, viewer, Table(title, GRID_COLUMNS, rows), fmt, f"三会一课（{title}）")

    @web.get("/meetings/ledger/export.{fmt}")
    def export_ledger(request: Request, fmt: str) -> Response:
        viewer = dash.viewer(request)
        query, _, ledger = compute(request, viewer)
        rows = (ledger_values(m) for records in ledger.values() for m in records)
        title = f"三会一课台账-{query.year}年"
        return download(dash, viewer, Table(title, LEDGER_COLUMNS, rows), fmt, f"三会一课台账（{query.year}年）")

    @web.get("/meetings/{meeting_id}")
    def meeting_record(request: Request, meeting_id: str) -> Response:
        viewer = dash.viewer(request)
        if not viewer.scope.sees_branches:
            raise Refused(403, "会议记录仅对书记、委员和党委开放。")
        if not meeting_id.isdigit() or len(meeting_id) > 12:
            raise Refused(404, NO_MEETING, "没有这次会议")
        with dash.app.db.session() as session:
            row = meeting_in_scope(session, int(meeting_id), viewer.scope.branch_filter("mt.branch_id"))
            if row is None:
                raise Refused(404, NO_MEETING, "没有这次会议")
            sheet = meeting_sheet(dash.app.schedule.attendance.reports, session, row, dash.app.clock.now())
        return dash.page(request, "meeting.html", viewer=viewer, sheet=sheet, title=f"{sheet.type_name}记录")
