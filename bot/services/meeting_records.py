"""The 台账 records and the roster's facts of many branches in one pass (for MeetingReports in meeting_report.py):
one query for the span's meetings, one each for their attendance, minutes and frozen expected attendees, the
roster's facts grouped per branch in SQL, and members loaded in bulk only where a meeting's 应到 is not frozen yet.

Two rules live here for the report: counts_as_held (held or 待补记录) and quorum_short (不足法定人数)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlmodel import Session

from bot.storage.attendees import freeze_expected, frozen_expected
from bot.storage.meeting_bulk import PersonRow, frozen_of, meetings_of, members_where, people_of, roster_groups
from bot.storage.meeting_ledger import attendance_of, members_named, minutes_of
from bot.storage.models import Branch, MeetingRow
from scheduler import meetings as rules

__all__ = ["MeetingRecord", "Someone", "RosterFacts", "counts_as_held", "quorum_short", "records_of", "facts_of",
           "roster_facts"]


def counts_as_held(row: MeetingRow, *, now: datetime, has_minutes: bool, attended: int) -> bool:
    """Held, or else 待补记录 (scheduler/meetings/records.py): started, not cancelled, with minutes or at least one
    出席 or 列席 record."""
    return row.cancelled_at is None and rules.meeting_status(row.start_at, now, has_minutes=has_minutes,
                                                             attended=attended) == "held"


class Someone(NamedTuple):
    """A member as the report needs them: id, name and what the rules read (rules.Person)."""
    id: int
    name: str
    person: rules.Person
    branch_id: int | None = None
    rostered: bool = False

    @classmethod
    def of(cls, row: PersonRow) -> Someone:
        member_id, branch_id, name, rostered, role, category, position, party_group = row
        return cls(member_id, name, rules.Person(member_id, role, category, position, party_group), branch_id,
                   rostered)


def quorum_short(row: MeetingRow, expected: Sequence[Someone], present: set[int]) -> bool:
    """不足法定人数 (scheduler/meetings/quorum.py): a 党员大会 with fewer than half of its 正式党员 present, a 支委会
    with fewer than half of its 委员."""
    counted = rules.quorum(row.type_key, [m.person for m in expected], present)
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


@cache
def _one(category: str, position: str, party_group: str, role: str) -> rules.BranchFacts:
    """The facts of a branch of one member like this: the rule (rules.branch_facts) applied to a roster group."""
    return rules.branch_facts([rules.MemberFacts("", category, position, party_group, role)])


class RosterFacts(NamedTuple):
    """What the 三会一课 requirements read from the roster: its members grouped by what the rules look at (the
    rostered and the category, position, 党小组 and role: bot/storage/meeting_bulk.roster_groups), and the
    members whose position or role may make them a secretary, as (branch id, name, rostered, position, role)."""
    groups: list[tuple[int, bool, str, str, str, str, int]]
    candidates: list[tuple[int | None, str, bool, str, str]]


def roster_facts(session: Session) -> RosterFacts:
    groups = roster_groups(session=session)
    positions = {g[3] for g in groups if _one("", g[3], "", "member").secretaries}
    roles = {g[5] for g in groups if _one("", "", "", g[5]).secretaries}
    return RosterFacts(groups, [(m.branch_id, m.name, m.rostered, m.position, m.role)
                                for m in members_where(session=session, positions=positions, roles=roles)])


def facts_of(session: Session, branches: Sequence[Branch], bodies: Mapping[str, Sequence[str]],
             roster: RosterFacts | None = None) -> dict[int, rules.BranchFacts]:
    """rules.branch_facts of each branch's people (its rostered members, all of them before a roster), from the
    roster grouped in SQL (`roster`, or read now): the same facts as MeetingReports.facts, without loading every
    member."""
    groups, candidates = roster or roster_facts(session)
    rostered = {g[0] for g in groups if g[1]}
    full: dict[int, int] = {}
    party_groups: dict[int, set[str]] = {}
    for branch_id, is_rostered, category, position, party_group, role, count in groups:
        if is_rostered != (branch_id in rostered):
            continue
        facts = _one(category, position, party_group, role)
        full[branch_id] = full.get(branch_id, 0) + facts.full_members * count
        party_groups.setdefault(branch_id, set()).update(facts.party_groups)
    secretaries: dict[int, list[str]] = {}
    for branch_id, name, is_rostered, position, role in candidates:
        if is_rostered == (branch_id in rostered) and _one("", position, "", role).secretaries:
            secretaries.setdefault(branch_id or 0, []).append(name)
    return {b.id or 0: rules.BranchFacts(full_members=full.get(b.id or 0, 0),
                                         party_groups=tuple(sorted(party_groups.get(b.id or 0, ()))),
                                         secretaries=tuple(secretaries.get(b.id or 0, ())),
                                         body=b.name if b.name in bodies else "")
            for b in branches}


def records_of(session: Session, branches: Sequence[Branch], since: datetime, until: datetime, *,
               kind: Callable[[str], rules.MeetingType], type_name: Callable[[str], str],
               bodies: Mapping[str, Sequence[str]], now: datetime, freeze: bool = True
               ) -> dict[int, list[MeetingRecord]]:
    """branch id -> its meetings that started in [since, until], not cancelled, as 台账 records. With `freeze`, a
    started meeting's 应到 is frozen the first time it is asked for (bot/services/expected.py); without (a read-only
    page), it is what freezing would write, and nothing is written."""
    by_id = {b.id: b for b in branches if b.id is not None}
    rows = [r for r in meetings_of(session=session, branch_ids=None if len(by_id) > 500 else list(by_id),
                                   since=since, until=until) if r.branch_id in by_id and r.id is not None]
    ids = [r.id for r in rows if r.id is not None]
    marks: dict[int, dict[int, str]] = {}
    for a in attendance_of(session=session, meeting_ids=ids):
        marks.setdefault(a.meeting_id, {})[a.member_id] = a.status
    minutes = minutes_of(session=session, meeting_ids=ids)
    frozen = frozen_of(session=session, meeting_ids=ids)
    unfrozen = {r.branch_id for r in rows if r.id not in frozen}
    plain = [b for b in unfrozen if by_id[b].name not in bodies]
    everyone = [Someone.of(p) for p in people_of(
        session=session, branch_ids=plain, member_ids={i for m in frozen.values() for i in m}
        | {i for m in marks.values() for i in m})]
    known = {m.id: m for m in everyone}
    rosters: dict[int, list[Someone]] = {b: [] for b in plain}
    for m in everyone:
        if m.branch_id in rosters:
            rosters[m.branch_id].append(m)
    rosters = {b: [m for m in people if m.rostered] or people for b, people in rosters.items()}
    for b in unfrozen - set(plain):  # a body of meetings.groups: the members it lists
        named = members_named(session=session, names=bodies[by_id[b].name])
        rosters[b] = [Someone.of((m.id or 0, m.branch_id, m.name, m.rostered, m.role, m.category, m.position,
                                  m.party_group)) for m in named]
    result: dict[int, list[MeetingRecord]] = {b: [] for b in by_id}
    for row in rows:
        assert row.id is not None
        mine = marks.get(row.id, {})
        if row.id in frozen:
            expected = [known[i] for i in frozen[row.id] if i in known]
        else:
            roster = rosters[row.branch_id]
            chosen = {p.id for p in rules.expected_people(kind(row.type_key).who, [m.person for m in roster],
                                                          row.party_group)}
            expected = [m for m in roster if m.id in chosen]
            if freeze and row.start_at <= now and expected and not freeze_expected(
                    session=session, meeting_id=row.id, member_ids=[m.id for m in expected]):
                # another instance froze it a moment ago: its list is the meeting's
                again = frozen_expected(session=session, meeting_id=row.id)
                expected = [Someone.of(p) for p in people_of(session=session, member_ids=again)]
        expected_ids = {m.id for m in expected}
        present = {i for i, s in mine.items() if s == "present" and i in expected_ids}
        notes = minutes.get(row.id)
        result[row.branch_id].append(MeetingRecord(
            id=row.id, branch=by_id[row.branch_id].name, type_key=row.type_key,
            type_name=type_name(row.type_key) + (f"（{row.party_group}）" if row.party_group else ""),
            start=row.start_at, place=row.place, topic=row.topic,
            held=counts_as_held(row, now=now, has_minutes=notes is not None,
                                attended=sum(status in ("present", "observer") for status in mine.values())),
            expected=tuple(m.name for m in expected),
            present=tuple(m.name for m in expected if m.id in present),
            leave=tuple(_name(known, i) for i, s in mine.items() if s == "leave"),
            absent=tuple(m.name for m in expected if m.id not in mine),
            observers=tuple(_name(known, i) for i, s in mine.items()
                            if s == "observer" or (s == "present" and i not in expected_ids)),
            minutes=notes is not None, chair=notes.chair if notes else "",
            quorum_short=quorum_short(row, expected, present), party_group=row.party_group))
    return result


def _name(known: Mapping[int, Someone], member_id: int) -> str:
    member = known.get(member_id)
    return member.name if member is not None else ""
