"""Who was expected at a meeting (meeting_expected, frozen once it started), the attendance statuses recorded for
it, and the 党小组 of a branch."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.storage.models import AttendanceRow, Member
from bot.storage.models_records import ExpectedAttendee

__all__ = ["frozen_expected", "freeze_expected", "attendance_statuses", "party_groups_of", "members_by_id"]


def frozen_expected(*, session: Session, meeting_id: int) -> list[int]:
    """The member ids frozen as the meeting's expected attendees ([] when not frozen yet)."""
    return list(session.exec(select(ExpectedAttendee.member_id).where(ExpectedAttendee.meeting_id == meeting_id)
                             .order_by(ExpectedAttendee.member_id)))


def freeze_expected(*, session: Session, meeting_id: int, member_ids: Iterable[int]) -> bool:
    """Write the expected attendees, in a savepoint of the caller's transaction; False (nothing written) when
    another instance froze them first."""
    try:
        with session.begin_nested():
            session.add_all([ExpectedAttendee(meeting_id=meeting_id, member_id=member_id) for member_id in member_ids])
    except IntegrityError:
        return False
    return True


def attendance_statuses(*, session: Session, meeting_id: int) -> dict[int, str]:
    """member id -> attendance status (present, leave, observer) of everyone recorded for the meeting."""
    return dict(session.exec(select(AttendanceRow.member_id, AttendanceRow.status)
                             .where(AttendanceRow.meeting_id == meeting_id)).all())


def party_groups_of(*, session: Session, branch_id: int | None) -> list[str]:
    """The branch's 党小组 as the roster names them, in roster order."""
    if branch_id is None:
        return []
    rows = session.exec(select(Member.party_group, func.min(Member.id)).where(
        Member.branch_id == branch_id, Member.party_group != "").group_by(Member.party_group)
        .order_by(func.min(Member.id))).all()
    return [name for name, _first in rows]


def members_by_id(*, session: Session, member_ids: Iterable[int]) -> list[Member]:
    wanted = list(member_ids)
    if not wanted:
        return []
    return list(session.exec(select(Member).where(col(Member.id).in_(wanted)).order_by(Member.id)))
