"""支部 on the dashboard: one branch read with the viewer's scope as a WHERE condition (bot/web/viewer.py Scope), its
members with their points in a period (the running totals `studybot rank` reads), what they did in it (answers,
已学) and their 三会一课 attendance (the frozen 应到 list against the attendance marks), and its chat groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["BranchRow", "MemberFigures", "GroupRow", "scoped_branch", "branch_exists", "member_figures",
           "branch_groups", "staffed_branches"]


@dataclass(frozen=True)
class BranchRow:
    id: int
    name: str


@dataclass(frozen=True)
class MemberFigures:
    member_id: int
    name: str
    role: str
    position: str
    category: str
    party_group: str
    points: int
    answers: int
    correct: int
    reads: int
    expected: int  # meetings of the branch in the period the member was expected at (应到)
    attended: int  # … and was present at
    leave: int  # … and was on leave from (请假)

    @property
    def absent(self) -> int:
        return max(self.expected - self.attended - self.leave, 0)


@dataclass(frozen=True)
class GroupRow:
    id: int
    name: str
    channel: str


def scoped_branch(session: Session, branch_id: int, where: tuple[str, dict[str, object]]) -> BranchRow | None:
    """The branch if it exists and `where` (Scope.branch_filter on b.id) lets the viewer see it, else None."""
    condition, params = where
    row = session.execute(text(f"SELECT b.id, b.name FROM branch b WHERE b.id = :branch AND {condition}"),
                          {"branch": branch_id, **params}).first()
    return BranchRow(int(row[0]), row[1]) if row is not None else None


def branch_exists(session: Session, branch_id: int) -> bool:
    """Only whether the id names a branch (for 403 against 404); nothing else about it."""
    return session.execute(text("SELECT 1 FROM branch WHERE id = :branch"), {"branch": branch_id}).first() is not None


_MEMBERS = """
SELECT m.id, m.name, m.role, m.position, m.category, m.party_group, COALESCE(t.points, 0),
       COALESCE(a.answers, 0), COALESCE(a.correct, 0), COALESCE(r.reads, 0),
       COALESCE(e.expected, 0), COALESCE(e.attended, 0), COALESCE(e.on_leave, 0)
FROM member m
LEFT JOIN points_total t ON t.member_id = m.id AND t.period_key = :key
LEFT JOIN (
    SELECT x.member_id, COUNT(*) AS answers, SUM(CASE WHEN x.correct THEN 1 ELSE 0 END) AS correct FROM (
        SELECT member_id, correct FROM contest_answer
        WHERE answered_at >= :since AND answered_at < :until
          AND member_id IN (SELECT id FROM member WHERE branch_id = :branch)
        UNION ALL
        SELECT member_id, correct FROM daily_answer
        WHERE answered_at >= :since AND answered_at < :until AND correct IS NOT NULL
          AND member_id IN (SELECT id FROM member WHERE branch_id = :branch)) x
    GROUP BY x.member_id) a ON a.member_id = m.id
LEFT JOIN (
    SELECT member_id, COUNT(*) AS reads FROM study_read
    WHERE read_at >= :since AND read_at < :until AND member_id IN (SELECT id FROM member WHERE branch_id = :branch)
    GROUP BY member_id) r ON r.member_id = m.id
LEFT JOIN (
    SELECT e.member_id, COUNT(*) AS expected,
           SUM(CASE WHEN s.status = 'present' THEN 1 ELSE 0 END) AS attended,
           SUM(CASE WHEN s.status = 'leave' THEN 1 ELSE 0 END) AS on_leave
    FROM meeting_expected e JOIN meeting mt ON mt.id = e.meeting_id
    LEFT JOIN attendance s ON s.meeting_id = e.meeting_id AND s.member_id = e.member_id
    WHERE mt.branch_id = :branch AND mt.cancelled_at IS NULL AND mt.start_at >= :since AND mt.start_at < :until
    GROUP BY e.member_id) e ON e.member_id = m.id
WHERE m.branch_id = :branch AND {condition}
ORDER BY COALESCE(t.points, 0) DESC, m.id"""


def member_figures(session: Session, *, branch_id: int, where: tuple[str, dict[str, object]], period_key: str,
                   since: datetime, until: datetime) -> list[MemberFigures]:
    """The branch's members that `where` (Scope.member_filter on m.id, m.branch_id) lets the viewer see, by points
    under `period_key`, with answers, 已学 and meetings in [since, until). A meeting counts once its 应到 list is
    frozen (when it has started and was first asked about: MeetingReports.records freezes those it reads)."""
    condition, params = where
    rows = session.execute(text(_MEMBERS.format(condition=condition)),
                           {"key": period_key, "since": since, "until": until, "branch": branch_id, **params}).all()
    return [MemberFigures(int(r[0]), r[1], r[2], r[3] or "", r[4] or "", r[5] or "", *(int(v) for v in r[6:]))
            for r in rows]


def branch_groups(session: Session, branch_id: int, where: tuple[str, dict[str, object]]) -> list[GroupRow]:
    """The chat groups bound to the branch (in scope by `where`, Scope.branch_filter on g.branch_id)."""
    condition, params = where
    rows = session.execute(text(f"""
        SELECT g.id, g.name, g.channel FROM chat_group g WHERE g.branch_id = :branch AND {condition}
        ORDER BY g.channel, g.name, g.id"""), {"branch": branch_id, **params}).all()
    return [GroupRow(int(r[0]), r[1], r[2]) for r in rows]


def staffed_branches(session: Session, where: tuple[str, dict[str, object]], *, offset: int, limit: int
                     ) -> tuple[list[int], int]:
    """One page of the branches with members that `where` (Scope.branch_filter on b.id) lets the viewer see, by
    name (the ids), and how many there are in all: the 支部 list reads its figures for that page only."""
    condition, params = where
    staffed = f"FROM branch b WHERE {condition} AND EXISTS (SELECT 1 FROM member m WHERE m.branch_id = b.id)"
    total = session.execute(text(f"SELECT COUNT(*) {staffed}"), params).scalar_one()
    ids = session.execute(text(f"SELECT b.id {staffed} ORDER BY b.name, b.id LIMIT {int(limit)} OFFSET {int(offset)}"),
                          params).scalars().all()
    return [int(i) for i in ids], int(total)
