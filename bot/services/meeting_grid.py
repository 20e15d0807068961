"""The 三会一课 grid of the dashboard (/meetings): every branch × every month (or quarter) of a year × meeting type,
with the same figures as 会议统计 and `studybot meetings report --period month --date <a day of that month>`.

MeetingReports.report reads a branch's meetings (and who was expected at each) for one period at a time; a year of
twelve months would read them twelve times per branch. Here each branch's meetings of the year are read once
(MeetingReports.records, the same records the report uses) and every period of the year is checked against them
with the same rule (scheduler.meetings.branch_compliance). The row arithmetic mirrors MeetingReports.report: a test
(tests/test_web_meetings.py) holds the two equal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import Session

from bot.services.meeting_report import MeetingRecord, MeetingReports, ReportRow, report_figures, report_row
from bot.storage.branches import all_branches
from scheduler import meetings as rules

__all__ = ["GridCell", "GridPeriod", "grid_periods", "meeting_grid"]

_MONTHS = {"month": 1, "quarter": 3}


@dataclass(frozen=True)
class GridPeriod:
    start: date  # inclusive
    end: date  # exclusive
    label: str  # 3月 / 第一季度
    state: str  # ended | current | future

    def day(self, today: date) -> date:
        """The day the report is taken on: today in the running period (what is not yet held is not yet behind),
        else the period's first day (any day of an ended period gives the same figures)."""
        return today if self.state == "current" else self.start


@dataclass(frozen=True)
class GridCell:
    branch_id: int
    period: GridPeriod
    row: ReportRow

    @property
    def colour(self) -> str:
        """green: held as required; red: short in a period that has ended; amber: records pending, or not yet
        held in the running period; none: nothing required and nothing pending (or a period to come)."""
        r = self.row
        if self.period.state == "future":
            return "none"
        if r.held < r.required and r.behind and self.period.state == "ended":
            return "red"
        if r.pending or (r.held < r.required):
            return "amber"
        return "green" if r.required else "none"


def grid_periods(period: str, year: int, today: date) -> list[GridPeriod]:
    if period not in _MONTHS:
        raise ValueError(period)
    step, result = _MONTHS[period], []
    for first in range(1, 13, step):
        start, end = rules.period_bounds(period, date(year, first, 1))
        state = "ended" if end <= today else "future" if start > today else "current"
        label = f"{first}月" if period == "month" else f"第{'一二三四'[(first - 1) // 3]}季度"
        result.append(GridPeriod(start, end, label, state))
    return result


def _row(check: rules.Compliance, records: Sequence[MeetingRecord], branch: str, label: str) -> ReportRow:
    """One report row, made as MeetingReports.report makes it (report_figures)."""
    kind, *figures = report_figures(records, [check])[0]
    return report_row((branch, kind, label, *figures))


def meeting_grid(reports: MeetingReports, session: Session, *, period: str, year: int, now: datetime,
                 branch_ids: Sequence[int] | None) -> tuple[list[GridCell], dict[int, list[MeetingRecord]]]:
    """Cells for every branch in `branch_ids` (None: all), period of the year and type, in the report's order:
    branch, then period, then type; and each branch's meetings of the year (the 台账). `now` is the app clock's
    (the report's own)."""
    today = now.date()
    periods = grid_periods(period, year, today)
    until = min(now, datetime.combine(date(year + 1, 1, 1), time()))
    cells: list[GridCell] = []
    ledger: dict[int, list[MeetingRecord]] = {}
    chosen = [b for b in all_branches(session=session)
              if b.id is not None and (branch_ids is None or b.id in branch_ids)]
    # every branch's meetings of the year from one read (a query per kind of fact, not five per branch)
    read = reports.records_of(session, chosen, datetime.combine(date(year, 1, 1), time()), until) \
        if until >= datetime(year, 1, 1) else {}
    for branch in chosen:
        assert branch.id is not None
        records = read.get(branch.id, [])
        ledger[branch.id] = records
        held: dict[str, list[rules.HeldMeeting]] = {}
        for r in records:
            if r.held:
                held.setdefault(r.type_key, []).append(rules.HeldMeeting(r.start.date(), r.party_group, r.chair))
        facts = reports.facts(session, branch)
        for p in periods:
            day = p.day(today)
            # the report reads only the meetings up to the period's end (or now)
            inside = [r for r in records if r.start <= datetime.combine(p.end, time())]
            label = rules.period_label(period, day)
            for check in rules.branch_compliance(reports.types, held, day, facts, report_period=period):
                cells.append(GridCell(branch.id, p, _row(check, inside, branch.name, label)))
    return cells, ledger
