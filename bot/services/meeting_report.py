"""The 三会一课 figures per branch (会议统计, `studybot meetings report`, the overdue notice) and the 台账: one record
per meeting with who was expected, present, on leave, absent and 列席.

The records and the roster's facts of every branch are read in one pass (bot/services/meeting_records.py, which
also holds the rules counts_as_held and quorum_short); reports() makes several reports (this month and last,
for 总览) from one read."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time

from sqlmodel import Session

from bot.services.meeting_records import (
    MeetingRecord,
    RosterFacts,
    counts_as_held,
    facts_of,
    quorum_short,
    records_of,
    roster_facts,
)
from bot.storage.branches import all_branches
from bot.storage.models import Branch, Member
from bot.storage.people import members_of_branch
from bot.storage.roster_cache import RosterCache
from scheduler import meetings as rules

__all__ = ["MeetingRecord", "ReportRow", "MeetingReports", "counts_as_held", "quorum_short", "report_figures",
           "report_row"]

Report = tuple[list["ReportRow"], dict[str, list[MeetingRecord]]]
Standing = tuple[tuple[str, ...], int]  # the meeting types behind, the meetings 待补记录


@dataclass(frozen=True)
class ReportRow:
    branch: str
    type: str
    period: str
    held: int
    required: int
    attendance_rate: float | None
    behind: bool = False
    pending: int = 0  # 待补记录
    leave: int = 0  # 请假, person-times
    quorum_problems: int = 0

    @property
    def met(self) -> str:
        return "是" if self.held >= self.required else "否" if self.behind else "未到期"


class MeetingReports:
    def __init__(self, *, types: Sequence[rules.MeetingType], bodies: Mapping[str, Sequence[str]],
                 now: Callable[[], datetime]) -> None:
        self.types, self.bodies, self._now = tuple(types), dict(bodies), now
        # the roster's facts of every branch, read again only once the member table changed
        self._roster: RosterCache[RosterFacts] = RosterCache(roster_facts)

    def type_name(self, key: str) -> str:
        return next((t.name for t in self.types if t.key == key), key)

    def kind(self, key: str) -> rules.MeetingType:
        return next((t for t in self.types if t.key == key), rules.MeetingType(key, key))

    def _people(self, session: Session, branch: Branch) -> list[Member]:
        members = members_of_branch(session=session, branch_id=branch.id)
        return [m for m in members if m.rostered] or members  # the roster, once there is one

    def facts(self, session: Session, branch: Branch) -> rules.BranchFacts:
        body = branch.name if branch.name in self.bodies else ""
        return rules.branch_facts((rules.MemberFacts(m.name, m.category, m.position, m.party_group, m.role)
                                   for m in self._people(session, branch)), body)

    def records(self, session: Session, branch: Branch, since: datetime, until: datetime) -> list[MeetingRecord]:
        """The branch's meetings that started in [since, until], not cancelled."""
        assert branch.id is not None
        return self._records(session, [branch], since, until, freeze=True)[branch.id]

    def records_of(self, session: Session, branches: Sequence[Branch], since: datetime, until: datetime
                   ) -> dict[int, list[MeetingRecord]]:
        """records() of several branches from one read (a query per kind of fact, not per branch)."""
        return self._records(session, branches, since, until, freeze=True)

    def _records(self, session: Session, branches: Sequence[Branch], since: datetime, until: datetime, *,
                 freeze: bool) -> dict[int, list[MeetingRecord]]:
        return records_of(session, branches, since, until, kind=self.kind, type_name=self.type_name,
                          bodies=self.bodies, now=self._now(), freeze=freeze)

    def checks(self, session: Session, branch: Branch, day: date, *, report_period: str | None = None,
               records: Iterable[MeetingRecord] | None = None,
               facts: rules.BranchFacts | None = None) -> list[rules.Compliance]:
        """Compliance of the branch on `day` (each type over its own period, or over report_period)."""
        if records is None:  # every period checked lies inside the year of `day`
            year = rules.period_bounds("year", day)
            records = self.records(session, branch, datetime.combine(year[0], time()),
                                   min(self._now(), datetime.combine(year[1], time())))
        return self._compliance(records, day, facts or self.facts(session, branch), report_period, {})

    def _compliance(self, records: Iterable[MeetingRecord], day: date, facts: rules.BranchFacts,
                    report_period: str | None, memo: dict[tuple, list[rules.Compliance]]) -> list[rules.Compliance]:
        """rules.branch_compliance, remembered in `memo` for branches with the same facts and meetings held (most
        branches of a big report: none held yet this month). The facts' secretaries are only compared with the
        党课's 主讲人, so only those among them are part of the key."""
        held: dict[str, list[rules.HeldMeeting]] = {}
        if not records:  # nothing held: the secretaries play no part
            key: tuple = (facts.full_members, facts.party_groups, facts.body)  # cheaper than a replace()
            if key not in memo:
                memo[key] = rules.branch_compliance(self.types, held, day, facts, report_period=report_period)
            return memo[key]
        for r in records:
            if r.held:
                held.setdefault(r.type_key, []).append(rules.HeldMeeting(r.start.date(), r.party_group, r.chair))
        chairs = {m.chair for meetings in held.values() for m in meetings}
        key = (replace(facts, secretaries=tuple(s for s in facts.secretaries if s in chairs)),
               tuple(sorted((k, tuple(v)) for k, v in held.items())))
        if key not in memo:
            memo[key] = rules.branch_compliance(self.types, held, day, facts, report_period=report_period)
        return memo[key]

    def report(self, session: Session, *, period: str, day: date, branch_ids: list[int] | None = None) -> Report:
        """Per branch and type: required, held, 待补记录, attendance over those expected, 请假, quorum problems;
        and each branch's meetings in the period (the 台账)."""
        return self.reports(session, [(period, day)], branch_ids=branch_ids)[0]

    def reports(self, session: Session, asked: Sequence[tuple[str, date]], *, branch_ids: list[int] | None = None,
                freeze: bool = True) -> list[Report]:
        """report() for each (period, day) asked, from one read of the meetings since the earliest year's start.
        freeze=False for a read-only page: the 应到 of meetings not frozen yet is worked out, not written."""
        branches, records, facts, spans = self._read(session, asked, branch_ids, freeze)
        return [self._report(session, branches, records, facts, period, day, since=since, year=year, until=until)
                for (period, day), (since, year, until) in zip(asked, spans, strict=True)]

    def standings(self, session: Session, asked: Sequence[tuple[str, date]], *,
                  branch_ids: list[int] | None = None) -> list[dict[str, Standing]]:
        """For each (period, day) asked, per branch name: the meeting types behind and the meetings 待补记录 — the
        figures 总览 flags, the same as reports()'s rows (behind, pending) without making a row per branch and type
        (7,000 objects per report of 1,000 branches: most of 总览's time, bench/dashboard.py). Read only."""
        branches, all_records, facts, spans = self._read(session, asked, branch_ids, False)
        result = []
        for (period, day), (_, year, until) in zip(asked, spans, strict=True):
            memo: dict[tuple, list[rules.Compliance]] = {}
            alike: dict[int, Standing] = {}  # id of a compliance list -> the standing of a branch with no meetings
            mine: dict[str, Standing] = {}
            for branch in branches:
                assert branch.id is not None
                records = [r for r in all_records[branch.id] if year <= r.start <= until] if all_records[branch.id] \
                    else []
                checks = self._compliance(records, day, facts[branch.id], period, memo)
                if records:
                    rows = report_figures(records, checks)
                    mine[branch.name] = (tuple(r[0] for r in rows if r[4]), sum(r[5] for r in rows))
                elif id(checks) in alike:
                    mine[branch.name] = alike[id(checks)]
                else:
                    mine[branch.name] = alike[id(checks)] = (tuple(c.type.name for c in checks if c.behind), 0)
            result.append(mine)
        return result

    def _read(self, session: Session, asked: Sequence[tuple[str, date]], branch_ids: list[int] | None,
              freeze: bool) -> tuple[list[Branch], dict[int, list[MeetingRecord]], dict[int, rules.BranchFacts],
                                     list[tuple[datetime, datetime, datetime]]]:
        """The branches, their meetings since the earliest year's start and their facts, and per (period, day)
        asked: the period's start, its year's start and the end of what is counted (now at the latest)."""
        branches = [b for b in all_branches(session=session) if branch_ids is None or b.id in branch_ids]
        bounds = [(rules.period_bounds(period, day), rules.period_bounds("year", day)[0]) for period, day in asked]
        untils = [min(self._now(), datetime.combine(end, time())) for (_, end), _ in bounds]
        records = self._records(session, branches, datetime.combine(min(year for _, year in bounds), time()),
                                max(untils), freeze=freeze)
        spans = [(datetime.combine(start, time()), datetime.combine(year, time()), until)
                 for ((start, _), year), until in zip(bounds, untils, strict=True)]
        return branches, records, facts_of(session, branches, self.bodies, self._roster(session)), spans

    def _report(self, session: Session, branches: Sequence[Branch], all_records: Mapping[int, list[MeetingRecord]],
                facts: Mapping[int, rules.BranchFacts], period: str, day: date, *, since: datetime, year: datetime,
                until: datetime) -> Report:
        rows: list[ReportRow] = []
        ledger: dict[str, list[MeetingRecord]] = {}
        label = rules.period_label(period, day)
        memo: dict[tuple, list[rules.Compliance]] = {}
        alike: dict[int, list[tuple]] = {}  # id of a compliance list -> its rows for a branch with no meetings
        for branch in branches:
            assert branch.id is not None
            # from the year's start: a 组织生活会 in a fourth-quarter report is checked over the whole year
            records = [r for r in all_records[branch.id] if year <= r.start <= until] if all_records[branch.id] else []
            ledger[branch.name] = [r for r in records if r.start >= since]
            checks = self._compliance(records, day, facts[branch.id], period, memo)
            if records:
                parts = report_figures(records, checks)
            else:  # most branches of a big report: the same rows as another branch like it
                parts = alike[id(checks)] if id(checks) in alike else alike.setdefault(id(checks),
                                                                                       report_figures([], checks))
            rows += [report_row((branch.name, kind, label, *figures)) for kind, *figures in parts]
        return rows, ledger


def report_figures(records: Sequence[MeetingRecord], checks: Sequence[rules.Compliance]) -> list[tuple]:
    """A branch's report rows without the branch and period: type, held, required, attendance rate, behind, 待补记录,
    请假 and quorum problems."""
    rows = []
    for check in checks:
        key = check.type.key
        mine = [r for r in records if r.type_key == key and check.period_start <= r.start.date() < check.period_end]
        if key == rules.SECRETARY_LECTURE.key:
            mine = []
        counted = [r for r in mine if r.held]
        expected = sum(len(r.expected) for r in counted)
        rows.append((check.type.name, check.held, check.required,
                     rules.attendance_rate(sum(len(r.present) for r in counted), expected) if counted else None,
                     check.behind, sum(not r.held for r in mine), sum(len(r.leave) for r in mine),
                     sum(r.quorum_short for r in counted)))
    return rows


def report_row(values: tuple) -> ReportRow:
    """ReportRow(*values), without the frozen dataclass's object.__setattr__ per field: a report of 1,000 branches
    makes 7,000 rows, and 总览 two such reports per request (bench/dashboard.py)."""
    row = object.__new__(ReportRow)
    row.__dict__.update(zip(_FIELDS, values, strict=True))
    return row


_FIELDS = tuple(f.name for f in fields(ReportRow))
