"""成员 on the dashboard: one member read with the viewer's scope as a WHERE condition (bot/web/viewer.py Scope), the
contests they took (answers, correct, score per contest) and the 三会一课 meetings they were expected at or marked
for (出席, 请假, 列席, or 缺席: expected with no mark)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["MemberRow", "ContestTaken", "MeetingMark", "scoped_member", "member_exists", "contests_taken",
           "meetings_of"]


@dataclass(frozen=True)
class MemberRow:
    id: int
    name: str
    branch_id: int | None
    branch: str
    role: str
    position: str
    category: str
    party_group: str


@dataclass(frozen=True)
class ContestTaken:
    contest_id: int
    started_at: datetime
    group: str
    bank: str
    answered: int
    correct: int
    score: int
    scored: bool  # False: a 练习赛


@dataclass(frozen=True)
class MeetingMark:
    meeting_id: int
    branch: str
    type_key: str
    party_group: str
    start: datetime
    topic: str
    status: str  # present | leave | observer | absent
    expected: bool


def _as_datetime(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def scoped_member(session: Session, member_id: int, where: tuple[str, dict[str, object]]) -> MemberRow | None:
    """The member if they exist and `where` (Scope.member_filter on m.id, m.branch_id) lets the viewer see them."""
    condition, params = where
    row = session.execute(text(f"""
        SELECT m.id, m.name, m.branch_id, COALESCE(b.name, ''), m.role, m.position, m.category, m.party_group
        FROM member m LEFT JOIN branch b ON b.id = m.branch_id WHERE m.id = :member AND {condition}"""),
                          {"member": member_id, **params}).first()
    if row is None:
        return None
    return MemberRow(int(row[0]), row[1], row[2], row[3], row[4], row[5] or "", row[6] or "", row[7] or "")


def member_exists(session: Session, member_id: int) -> bool:
    """Only whether the id names a member (for 403 against 404); nothing else about them."""
    return session.execute(text("SELECT 1 FROM member WHERE id = :member"), {"member": member_id}).first() is not None


def contests_taken(session: Session, member_id: int, where: tuple[str, dict[str, object]]) -> list[ContestTaken]:
    """The contests the member answered in, newest first."""
    condition, params = where
    rows = session.execute(text(f"""
        SELECT c.id, c.started_at, COALESCE(g.name, ''), c.bank, c.scored, COUNT(*),
               SUM(CASE WHEN a.correct THEN 1 ELSE 0 END), COALESCE(SUM(a.points), 0)
        FROM contest_answer a JOIN contest c ON c.id = a.contest_id JOIN member m ON m.id = a.member_id
        LEFT JOIN chat_group g ON g.id = c.group_id
        WHERE a.member_id = :member AND {condition}
        GROUP BY c.id, c.started_at, g.name, c.bank, c.scored
        ORDER BY c.started_at DESC, c.id DESC"""), {"member": member_id, **params}).all()
    return [ContestTaken(int(r[0]), _as_datetime(r[1]), r[2], r[3], int(r[5]), int(r[6] or 0), int(r[7]), bool(r[4]))
            for r in rows]


def meetings_of(session: Session, member_id: int, where: tuple[str, dict[str, object]],
                until: datetime) -> list[MeetingMark]:
    """The meetings not cancelled that started before `until` where the member was expected (应到, frozen) or has
    an attendance mark, newest first."""
    condition, params = where
    rows = session.execute(text(f"""
        SELECT mt.id, COALESCE(b.name, ''), mt.type_key, mt.party_group, mt.start_at, mt.topic,
               COALESCE(s.status, 'absent'), CASE WHEN e.id IS NULL THEN 0 ELSE 1 END
        FROM meeting mt JOIN member m ON m.id = :member LEFT JOIN branch b ON b.id = mt.branch_id
        LEFT JOIN meeting_expected e ON e.meeting_id = mt.id AND e.member_id = m.id
        LEFT JOIN attendance s ON s.meeting_id = mt.id AND s.member_id = m.id
        WHERE (e.id IS NOT NULL OR s.id IS NOT NULL) AND mt.cancelled_at IS NULL AND mt.start_at < :until
          AND {condition}
        ORDER BY mt.start_at DESC, mt.id DESC"""), {"member": member_id, "until": until, **params}).all()
    return [MeetingMark(int(r[0]), r[1], r[2], r[3] or "", _as_datetime(r[4]), r[5] or "", r[6], bool(r[7]))
            for r in rows]
