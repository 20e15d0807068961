"""What one branch must hold, by its own facts (issue 15): the same types, different requirements.

- 支部委员会会议: required only of a branch with at least 7 正式党员 (《中国共产党支部工作条例（试行）》第九条:
  正式党员不足 7 人的党支部，不设支部委员会). A member whose 党员类别 is empty (a roster from before that
  column) counts as 正式.
- 党小组会: `required` per 党小组 per period, so a branch with three 小组 holds three a month and one with no
  小组 holds none. A meeting recorded for a 小组 counts for that 小组 (at most `required` times a period); one
  recorded without a 小组 (or for a 小组 not on the roster) counts for any 小组 still short.
- A type is not behind before its `from_month` (组织生活会 一般安排在第四季度: not flagged before October).
- 书记讲党课: at least one 党课 a year given by the branch's 书记. The record that says who gave a 党课 is its
  会议记录: the minutes' 主持人 of a 党课 is taken as its 主讲人, so a 党课 counts when that name is one of the
  branch's 书记 (支部职务 书记, or role secretary). A 党课 without minutes is not counted: being present or
  having arranged it does not show that the 书记 gave it.
- A type with a `body` (理论学习中心组学习, 党委会) is required of that body only, never of a branch; a
  body's pseudo-branch has only its own types.

Pure: facts and held meetings in, Compliance out; no database and no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from scheduler.meetings.kinds import MeetingType
from scheduler.meetings.quota import Compliance, compliance, period_bounds

__all__ = ["FULL_FOR_COMMITTEE", "SECRETARY_LECTURE", "BranchFacts", "MemberFacts", "HeldMeeting", "branch_facts",
           "branch_compliance", "applies_to"]

FULL_FOR_COMMITTEE = 7
# not a meeting type one arranges: the 党课 among a branch's lectures that its 书记 gave, checked once a year
SECRETARY_LECTURE = MeetingType("secretary_lecture", "书记讲党课", (), "year", 1, 0)
_FULL = {"full", "正式", "正式党员", ""}
_SECRETARY = {"书记", "党支部书记", "支部书记"}


@dataclass(frozen=True)
class MemberFacts:
    """What the roster says about one member (Member.name/category/position/party_group/role)."""
    name: str
    category: str = ""
    position: str = ""
    party_group: str = ""
    role: str = "member"


@dataclass(frozen=True)
class BranchFacts:
    full_members: int = 0
    party_groups: tuple[str, ...] = ()
    secretaries: tuple[str, ...] = ()  # names
    body: str = ""  # the body (meetings.groups) this pseudo-branch stands for; "" for a 党支部

    @property
    def has_committee(self) -> bool:
        return self.full_members >= FULL_FOR_COMMITTEE


@dataclass(frozen=True)
class HeldMeeting:
    day: date
    party_group: str = ""  # a 党小组会's 小组
    chair: str = ""  # the minutes' 主持人 (a 党课's 主讲人), "" without minutes


def branch_facts(members: Iterable[MemberFacts], body: str = "") -> BranchFacts:
    people = list(members)
    return BranchFacts(
        full_members=sum(m.category.strip() in _FULL for m in people),
        party_groups=tuple(sorted({m.party_group.strip() for m in people if m.party_group.strip()})),
        secretaries=tuple(m.name for m in people if m.position.strip() in _SECRETARY or m.role == "secretary"),
        body=body)


def applies_to(t: MeetingType, facts: BranchFacts) -> bool:
    """Whether a type belongs in this branch's (or body's) figures at all."""
    return t.body == facts.body


def _chunks(own: str, start: date, end: date) -> list[tuple[date, date]]:
    """[start, end) cut at the boundaries of the type's own periods (months for a 党小组会)."""
    chunks, d = [], start
    while d < end:
        chunk_end = min(period_bounds(own, d)[1], end)
        chunks.append((d, chunk_end))
        d = chunk_end
    return chunks


def _group_held(c: Compliance, meetings: Sequence[HeldMeeting], groups: tuple[str, ...]) -> int:
    if not groups:
        return c.held
    per_group = c.type.required
    covered = 0
    for start, end in _chunks(c.type.period, c.period_start, c.period_end):
        inside = [m for m in meetings if start <= m.day < end]
        tagged = Counter(m.party_group for m in inside if m.party_group in groups)
        untagged = sum(m.party_group not in groups for m in inside)
        covered += min(sum(min(n, per_group) for n in tagged.values()) + untagged, per_group * len(groups))
    return covered


def _due(c: Compliance) -> date:
    """The day from which a missing meeting counts as behind: the type's from_month inside the period."""
    if c.type.from_month > 1:
        year = c.period_start.year
        due = date(year, c.type.from_month, 1)
        if c.period_start <= due < c.period_end:
            return due
    return c.period_start


def branch_compliance(types: Iterable[MeetingType], held: Mapping[str, Sequence[HeldMeeting]], day: date,
                      facts: BranchFacts, *, report_period: str | None = None) -> list[Compliance]:
    """compliance() for one branch: only the types that apply to it, their requirement by its facts, and the
    书记讲党课 check after the 党课 (a branch's figures only)."""
    mine = [t for t in types if applies_to(t, facts)]
    days = {key: [m.day for m in meetings] for key, meetings in held.items()}
    result = []
    for c in compliance(mine, days, day, report_period=report_period):
        if c.type.key == "committee" and not facts.has_committee:
            c = replace(c, required=0)
        elif c.type.key == "group":
            c = replace(c, required=c.required * len(facts.party_groups),
                        held=_group_held(c, held.get("group", ()), facts.party_groups))
        result.append(replace(c, behind=c.held < c.required and day >= _due(c)))
        if c.type.key == "lecture" and not facts.body:
            given = [m.day for m in held.get("lecture", ()) if m.chair and m.chair in facts.secretaries]
            result += compliance([SECRETARY_LECTURE], {SECRETARY_LECTURE.key: given}, day,
                                 report_period=report_period)
    return result

