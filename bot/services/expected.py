"""Who must attend a meeting (应到人员) and how they attended, for 签到, 签到情况, rates and reports.

The expected attendees follow the meeting type's `who` (scheduler/meetings/attendees.py) over the branch's roster
(its rostered members; every member the bot knows in a branch without a roster). Once the meeting has started
the list is frozen into meeting_expected the first time it is asked for, so a roster that grows or changes later
does not change a past meeting's rate or quorum.

For the reports: expected_for() and attendance_of() give a meeting's 应到 and 实到, quorum_problem() its
「不足法定人数」 line (None when the quorum is met or the type has none)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.storage.attendees import attendance_statuses, freeze_expected, frozen_expected, members_by_id
from bot.storage.meeting_ledger import members_named
from bot.storage.models import Branch, MeetingRow, Member
from bot.storage.people import members_of_branch
from scheduler import meetings as rules
from scheduler.meetings import MeetingType

__all__ = ["person", "expected_for", "MeetingAttendance", "attendance_of", "quorum_of", "quorum_problem", "names"]


def person(member: Member) -> rules.Person:
    assert member.id is not None
    return rules.Person(member.id, member.role, member.category, member.position, member.party_group)


def _roster(session: Session, branch_id: int, bodies: Mapping[str, Sequence[str]]) -> list[Member]:
    """The branch's roster; for a body of `meetings.groups` (中心组, 党委: a pseudo-branch), the members it lists."""
    branch = session.get(Branch, branch_id)
    if branch is not None and branch.name in bodies:
        return members_named(session=session, names=bodies[branch.name])
    members = members_of_branch(session=session, branch_id=branch_id)
    rostered = [m for m in members if m.rostered]
    return rostered or members


def expected_for(session: Session, meeting: MeetingRow, *, kind: MeetingType, now: datetime,
                 bodies: Mapping[str, Sequence[str]] | None = None) -> list[Member]:
    """The members who must attend `meeting` (a `kind` meeting), in roster order: the frozen list once it has
    started (frozen now if this is the first time it is asked for), else who the roster says today."""
    assert meeting.id is not None
    frozen = frozen_expected(session=session, meeting_id=meeting.id)
    if frozen:
        return members_by_id(session=session, member_ids=frozen)
    members = _roster(session, meeting.branch_id, bodies or {})
    chosen = {p.id for p in rules.expected_people(kind.who, [person(m) for m in members], meeting.party_group)}
    expected = [m for m in members if m.id in chosen]
    if meeting.start_at <= now and expected:
        if not freeze_expected(session=session, meeting_id=meeting.id, member_ids=[m.id for m in expected]):
            # another instance froze it a moment ago: its list is the meeting's
            return members_by_id(session=session, member_ids=frozen_expected(session=session, meeting_id=meeting.id))
    return expected


@dataclass(frozen=True)
class MeetingAttendance:
    """A meeting's attendance over its expected attendees: 出席, 请假 and absent among them; 列席 the others who
    were recorded (signed in without being expected, or marked 列席)."""
    expected: list[Member]
    statuses: dict[int, str]  # member id -> present, leave, observer
    observers: list[Member] = field(default_factory=list)

    def _with(self, status: str | None) -> list[Member]:
        return [m for m in self.expected if self.statuses.get(m.id) == status]

    @property
    def present(self) -> list[Member]:
        return self._with("present")

    @property
    def on_leave(self) -> list[Member]:
        return self._with("leave")

    @property
    def absent(self) -> list[Member]:
        return [m for m in self.expected if self.statuses.get(m.id) not in ("present", "leave")]

    def rate(self) -> float | None:
        return rules.attendance_rate(len(self.present), len(self.expected))


def attendance_of(session: Session, meeting: MeetingRow, *, kind: MeetingType, now: datetime,
                  bodies: Mapping[str, Sequence[str]] | None = None) -> MeetingAttendance:
    assert meeting.id is not None
    expected = expected_for(session, meeting, kind=kind, now=now, bodies=bodies)
    statuses = attendance_statuses(session=session, meeting_id=meeting.id)
    ids = {m.id for m in expected}
    others = [member_id for member_id, status in statuses.items()
              if member_id not in ids and status in ("present", "observer")]
    return MeetingAttendance(expected, statuses, members_by_id(session=session, member_ids=others))


def _quorum(meeting: MeetingRow, attendance: MeetingAttendance) -> rules.Quorum | None:
    return rules.quorum(meeting.type_key, [person(m) for m in attendance.expected],
                        {m.id for m in attendance.present if m.id is not None})


def quorum_of(session: Session, meeting: MeetingRow, *, kind: MeetingType, now: datetime,
              attendance: MeetingAttendance | None = None) -> rules.Quorum | None:
    """The quorum count of a 支部党员大会 or 支委会 (None for other types)."""
    return _quorum(meeting, attendance or attendance_of(session, meeting, kind=kind, now=now))


def quorum_problem(session: Session, meeting: MeetingRow, *, kind: MeetingType, now: datetime,
                   attendance: MeetingAttendance | None = None) -> str | None:
    """「不足法定人数：应到正式党员 9 人，实到 4 人，…」 for a meeting below its quorum, else None."""
    counted = quorum_of(session, meeting, kind=kind, now=now, attendance=attendance)
    return counted.problem() if counted is not None else None


def names(members: Sequence[Member]) -> str:
    return "、".join(m.name for m in members) or "无"
