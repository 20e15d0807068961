"""What the 三会一课 reports read (台账): a branch's meetings in a period, their attendance with its status, and
whether each has minutes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from bot.storage.models import AttendanceRow, MeetingRow, Member
from bot.storage.models_records import MinutesRow

__all__ = ["meetings_between", "attendance_of", "minutes_of", "members_by_id", "members_named"]


def meetings_between(*, session: Session, branch_id: int, since: datetime, until: datetime) -> list[MeetingRow]:
    """The branch's meetings not cancelled that started in [since, until], earliest first."""
    return list(session.exec(select(MeetingRow).where(
        MeetingRow.branch_id == branch_id, col(MeetingRow.cancelled_at).is_(None), MeetingRow.start_at >= since,
        MeetingRow.start_at <= until).order_by(MeetingRow.start_at, MeetingRow.id)))


def attendance_of(*, session: Session, meeting_ids: Iterable[int]) -> list[AttendanceRow]:
    wanted = list(meeting_ids)
    if not wanted:
        return []
    return list(session.exec(select(AttendanceRow).where(col(AttendanceRow.meeting_id).in_(wanted))
                             .order_by(AttendanceRow.id)))


def minutes_of(*, session: Session, meeting_ids: Iterable[int]) -> dict[int, MinutesRow]:
    wanted = list(meeting_ids)
    if not wanted:
        return {}
    rows = session.exec(select(MinutesRow).where(col(MinutesRow.meeting_id).in_(wanted)))
    return {row.meeting_id: row for row in rows}


def members_by_id(*, session: Session, member_ids: Iterable[int]) -> dict[int, Member]:
    wanted = list(set(member_ids))
    if not wanted:
        return {}
    return {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(wanted))) if m.id is not None}


def members_named(*, session: Session, names: Iterable[str]) -> list[Member]:
    """Members with one of these names, in the order of `names` (the first of namesakes)."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    found: dict[str, Member] = {}
    for m in session.exec(select(Member).where(col(Member.name).in_(wanted)).order_by(Member.id)):
        found.setdefault(m.name, m)
    return [found[n] for n in wanted if n in found]
