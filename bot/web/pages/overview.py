"""/ (总览): this week and this month — members active, answers, accuracy, study items read, points by category —,
points by category over the last 12 weeks (a chart: its data in a JSON block, drawn by static/overview.js), and the
branches' 三会一课 this month flagged red (behind), amber (records pending) or green, from the same report as
`会议统计` and `studybot meetings report` (bot/services/meeting_report.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fastapi import FastAPI
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from bot.storage.dashboard import TotalsCache, activity, branch_ids_by_name
from bot.web.dashboard import Dashboard, script_json
from bot.web.viewer import Viewer
from scheduler.periods import Period, period_key, period_start
from scheduler.points import CATEGORY_LABELS, Category, category_key

__all__ = ["add_overview_page", "MeetingFlag", "WEEKS"]

WEEKS = 12
LISTED = 30  # branches flagged red or amber listed on 总览; the others are counted, with a link to /meetings
CATEGORIES = (Category.STUDY, Category.QUIZ, Category.MEETING, Category.SERVICE, Category.VANGUARD)


@dataclass(frozen=True)
class MeetingFlag:
    branch: str
    colour: str  # red | amber | green
    missed: tuple[str, ...]  # the meeting types not held as required in the month just ended (a fact)
    not_yet: tuple[str, ...]  # the types not yet held in their current period (still running: a reminder)
    pending: int  # meetings whose record is still to be filled in (待补记录)

    @property
    def text(self) -> str:
        parts = [f"上月{'、'.join(self.missed)}未按要求开展"] if self.missed else []
        parts += [f"本期尚未开展{'、'.join(self.not_yet)}"] if self.not_yet else []
        parts += [f"{self.pending} 次会议待补记录"] if self.pending else []
        return "；".join(parts) or "按要求开展"


def meeting_flags(dash: Dashboard, session: Session, viewer: Viewer, today: date) -> list[MeetingFlag]:
    """Per branch in scope, from the same report as `会议统计`: red for a type missed in the month just ended (only
    a period that is over is behind for certain), amber for what this month still lacks or records still pending."""
    scope = viewer.scope
    if not scope.sees_branches:
        return []
    reports = dash.app.schedule.attendance.reports
    ids = None if scope.everything else sorted(scope.branch_ids)
    # both months from one read, as standings (the types behind, the records pending) rather than the reports'
    # rows: the same figures for a tenth of the Python objects
    now, ended = reports.standings(session, [("month", today), ("month", today.replace(day=1) - timedelta(days=1))],
                                   branch_ids=ids)
    flags = []
    for branch, (not_yet, pending) in now.items():
        missed = ended.get(branch, ((), 0))[0]
        colour = "red" if missed else "amber" if not_yet or pending else "green"
        flags.append(MeetingFlag(branch, colour, missed, not_yet, pending))
    order = {"red": 0, "amber": 1, "green": 2}
    return sorted(flags, key=lambda f: (order[f.colour], f.branch))


def add_overview_page(web: FastAPI, dash: Dashboard) -> None:
    totals_of = TotalsCache()

    @web.get("/")
    def overview(request: Request) -> Response:
        viewer = dash.viewer(request)
        today = dash.app.clock.now().date()
        weeks = [today - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
        week_keys = [period_key(Period.WEEK, day) for day in weeks]
        spans = {"本周": (Period.WEEK, period_start(Period.WEEK, today)),
                 "本月": (Period.MONTH, period_start(Period.MONTH, today))}
        with dash.app.db.session() as session:
            keys = [category_key(w, c) for w in week_keys for c in CATEGORIES]
            keys += [category_key(period_key(p, today), c) for p, _ in spans.values() for c in CATEGORIES]
            totals = totals_of(session, viewer.scope.member_filter(), keys)
            figures = []
            for label, (period, since) in spans.items():
                assert since is not None
                done = activity(session, viewer.scope.member_filter(), datetime.combine(since, time()),
                                datetime.combine(today + timedelta(days=1), time()))
                points = [(CATEGORY_LABELS[c], totals[category_key(period_key(period, today), c)]) for c in CATEGORIES]
                figures.append((label, done, points))
            flags = meeting_flags(dash, session, viewer, today)
            # only the branches to act on are listed (red, amber); the green ones are counted, the full grid is
            # /meetings: 1,000 rows of 正常 told nothing and cost the page its time
            counts = {colour: sum(f.colour == colour for f in flags) for colour in ("red", "amber", "green")}
            green = counts["green"]
            flags = [f for f in flags if f.colour != "green"]
            # at most LISTED of them (red first), the rest counted: a committee of 1,000 branches reads the grid
            more = len(flags) - LISTED if len(flags) > LISTED else 0
            flags = flags[:LISTED]
            links = {name: f"/branch/{bid}" for name, bid in branch_ids_by_name(session).items()} if flags else {}
        chart = {"weeks": [f"第{int(key.split('-')[1])}周" for key in week_keys],
                 "series": [{"name": CATEGORY_LABELS[c], "data": [totals[category_key(w, c)] for w in week_keys]}
                            for c in CATEGORIES]}
        return dash.page(request, "overview.html", viewer=viewer, figures=figures, flags=flags, links=links,
                         green=green, counts=counts, more=more, title="总览", chart=script_json(chart))

