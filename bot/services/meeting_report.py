"""The 三会一课 figures per branch (会议统计, `studybot meetings report`, the overdue notice) and the 台账: one record
per meeting with who was expected, present, on leave, absent and 列席.

Three rules are each behind one function here, to be swapped for the rule that owns them:
counts_as_held (held or 待补记录), expected_attendees (who must attend) and quorum_short (不足法定人数)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import Session

from bot.services.expected import expected_for, person
from bot.storage.branches import all_branches
from bot.storage.meeting_ledger import attendance_of, meetings_between, members_by_id, members_named, minutes_of
from bot.storage.models import Branch, MeetingRow, Member
from bot.storage.people import members_of_branch
from scheduler import meetings as rules

__all__ = ["MeetingRecord", "ReportRow", "MeetingReports", "counts_as_held", "quorum_short"]

def counts_as_held(row: MeetingRow, *, now: datetime, has_minutes: bool, attended: int) -> bool:
    """Held, or else 待补记录 (scheduler/meetings/records.py): started, not cancelled, with minutes or at least one
    出席 or 列席 record."""
    return row.cancelled_at is None and rules.meeting_status(row.start_at, now, has_minutes=has_minutes,
                                                             attended=attended) == "held"


def quorum_short(row: MeetingRow, expected: Sequence[Member], present: set[int]) -> bool:
    """不足法定人数 (scheduler/meetings/quorum.py): a 党员大会 with fewer than half of its 正式党员 present, a 支委会
    with fewer than half of its 委员."""
    counted = rules.quorum(row.type_key, [person(m) for m in expected], present)
    return counted is not None and not counted.met


@dataclass(frozen=True)
class MeetingRecord:
    id: int
    branch: str
    type_key: str
    type_name: str  # a 党小组会 with its 小组: 党小组会（第一小组）
    start: datetime
    place: str
    topic: str
    held: bool  # False: 待补记录
    expected: tuple[str, ...]
    present: tuple[str, ...]  # of those expected
    leave: tuple[str, ...]
    absent: tuple[str, ...]
    observers: tuple[str, ...]  # 列席: recorded so, or signed in without being expected
    minutes: bool
    chair: str  # the minutes' 主持人
    quorum_short: bool
    party_group: str = ""


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
        rows = meetings_between(session=session, branch_id=branch.id, since=since, until=until)
        ids = [r.id for r in rows if r.id is not None]
        marks = attendance_of(session=session, meeting_ids=ids)
        minutes = minutes_of(session=session, meeting_ids=ids)
        people = self._people(session, branch)
        body = members_named(session=session, names=self.bodies[branch.name]) if branch.name in self.bodies else None
        names = {m.id: m.name for m in people} | {m.id: m.name for m in body or ()}
        others = [a.member_id for a in marks if a.member_id not in names]  # 列席 from elsewhere
        names |= {i: m.name for i, m in members_by_id(session=session, member_ids=others).items()}
        now = self._now()
        result = []
        for row in rows:
            mine = {a.member_id: a.status for a in marks if a.meeting_id == row.id}
            expected = expected_for(session, row, kind=self.kind(row.type_key), now=now, bodies=self.bodies)
            expected_ids = {m.id for m in expected}
            present = {i for i, s in mine.items() if s == "present" and i in expected_ids}
            kind = self.type_name(row.type_key) + (f"（{row.party_group}）" if row.party_group else "")
            notes = minutes.get(row.id) if row.id is not None else None
            result.append(MeetingRecord(
                id=row.id or 0, branch=branch.name, type_key=row.type_key, type_name=kind, start=row.start_at,
                place=row.place, topic=row.topic,
                held=counts_as_held(row, now=now, has_minutes=notes is not None,
                                    attended=sum(status in ("present", "observer") for status in mine.values())),
                expected=tuple(m.name for m in expected),
                present=tuple(m.name for m in expected if m.id in present),
                leave=tuple(names.get(i, "") for i, s in mine.items() if s == "leave"),
                absent=tuple(m.name for m in expected if m.id not in mine),
                observers=tuple(names.get(i, "") for i, s in mine.items()
                                if s == "observer" or (s == "present" and i not in expected_ids)),
                minutes=notes is not None, chair=notes.chair if notes else "",
                quorum_short=quorum_short(row, expected, present), party_group=row.party_group))
        return result

    def checks(self, session: Session, branch: Branch, day: date, *, report_period: str | None = None,
               records: Iterable[MeetingRecord] | None = None) -> list[rules.Compliance]:
        """Compliance of the branch on `day` (each type over its own period, or over report_period)."""
        if records is None:  # every period checked lies inside the year of `day`
            year = rules.period_bounds("year", day)
            records = self.records(session, branch, datetime.combine(year[0], time()),
                                   min(self._now(), datetime.combine(year[1], time())))
        held: dict[str, list[rules.HeldMeeting]] = {}
        for r in records:
            if r.held:
                held.setdefault(r.type_key, []).append(rules.HeldMeeting(r.start.date(), r.party_group, r.chair))
        return rules.branch_compliance(self.types, held, day, self.facts(session, branch), report_period=report_period)

    def report(self, session: Session, *, period: str, day: date, branch_ids: list[int] | None = None
               ) -> tuple[list[ReportRow], dict[str, list[MeetingRecord]]]:
        """Per branch and type: required, held, 待补记录, attendance over those expected, 请假, quorum problems;
        and each branch's meetings in the period (the 台账)."""
        start, end = rules.period_bounds(period, day)
        since, until = datetime.combine(start, time()), min(self._now(), datetime.combine(end, time()))
        rows: list[ReportRow] = []
        ledger: dict[str, list[MeetingRecord]] = {}
        label = rules.period_label(period, day)
        for branch in all_branches(session=session):
            if branch_ids is not None and branch.id not in branch_ids:
                continue
            # from the year's start: a 组织生活会 in a fourth-quarter report is checked over the whole year
            records = self.records(session, branch, datetime.combine(rules.period_bounds("year", day)[0], time()),
                                   until)
            ledger[branch.name] = [r for r in records if r.start >= since]
            for check in self.checks(session, branch, day, report_period=period, records=records):
                key = check.type.key
                mine = [r for r in records if r.type_key == key and check.period_start <= r.start.date()
                        < check.period_end]
                if key == rules.SECRETARY_LECTURE.key:
                    mine = []
                counted = [r for r in mine if r.held]
                expected = sum(len(r.expected) for r in counted)
                rows.append(ReportRow(
                    branch.name, check.type.name, label, check.held, check.required,
                    rules.attendance_rate(sum(len(r.present) for r in counted), expected) if counted else None,
                    check.behind, sum(not r.held for r in mine), sum(len(r.leave) for r in mine),
                    sum(r.quorum_short for r in counted)))
        return rows, ledger

