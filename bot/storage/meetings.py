"""三会一课 meetings and their attendance (签到)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from bot.storage.attendance_log import came_after_leave, log_change
from bot.storage.models import AttendanceRow, MeetingRow
from bot.storage.once import add_once

__all__ = ["meetings_starting_after", "meetings_held_by", "upcoming_meetings", "latest_meeting_started",
           "meeting_from_source", "file_meetings_to_come", "meeting_ids", "meetings_by_id", "attendees",
           "attendance_count", "sign_in"]


def _live() -> ColumnElement[bool]:
    return col(MeetingRow.cancelled_at).is_(None)


def meetings_starting_after(*, session: Session, after: datetime) -> list[MeetingRow]:
    """Meetings not cancelled that start after `after` (their reminders are still to come)."""
    return list(session.exec(select(MeetingRow).where(_live(), MeetingRow.start_at > after)
                             .order_by(MeetingRow.id)))


def meetings_held_by(*, session: Session, branch_id: int, until: datetime) -> list[MeetingRow]:
    """The branch's meetings not cancelled that started at or before `until`."""
    return list(session.exec(select(MeetingRow).where(MeetingRow.branch_id == branch_id, _live(),
                                                      MeetingRow.start_at <= until).order_by(MeetingRow.start_at)))


def upcoming_meetings(*, session: Session, branch_id: int | None, since: datetime, limit: int) -> list[MeetingRow]:
    return list(session.exec(select(MeetingRow).where(MeetingRow.branch_id == branch_id, _live(),
                                                      MeetingRow.start_at >= since)
                             .order_by(MeetingRow.start_at).limit(limit)))


def latest_meeting_started(*, session: Session, branch_id: int | None, before: datetime,
                           since: datetime | None = None, inclusive: bool = False) -> MeetingRow | None:
    """The branch's most recent meeting not cancelled that started before `before` (or at it, `inclusive`),
    and not before `since` when given."""
    started = MeetingRow.start_at <= before if inclusive else MeetingRow.start_at < before
    query = select(MeetingRow).where(MeetingRow.branch_id == branch_id, _live(), started)
    if since is not None:
        query = query.where(MeetingRow.start_at >= since)
    return session.exec(query.order_by(col(MeetingRow.start_at).desc()).limit(1)).first()


def meeting_from_source(*, session: Session, source: str) -> MeetingRow | None:
    return session.exec(select(MeetingRow).where(MeetingRow.source == source)).first()


def file_meetings_to_come(*, session: Session, file_name: str, after: datetime) -> list[MeetingRow]:
    """Meetings not cancelled from the meeting file `file_name` that start after `after`."""
    return list(session.exec(select(MeetingRow).where(col(MeetingRow.source).startswith(f"yaml:{file_name}:"),
                                                      _live(), MeetingRow.start_at > after)
                             .order_by(MeetingRow.id)))


def meeting_ids(*, session: Session, branch_id: int, type_key: str, start: datetime, until: datetime) -> list[int]:
    """The branch's meetings of one type, not cancelled, that started in [start, until]."""
    return list(session.exec(select(MeetingRow.id).where(
        MeetingRow.branch_id == branch_id, MeetingRow.type_key == type_key, _live(),
        MeetingRow.start_at >= start, MeetingRow.start_at <= until)))


def meetings_by_id(*, session: Session, meeting_ids: Iterable[int]) -> list[MeetingRow]:
    wanted = list(meeting_ids)
    if not wanted:
        return []
    return list(session.exec(select(MeetingRow).where(col(MeetingRow.id).in_(wanted)).order_by(MeetingRow.start_at)))


def attendees(*, session: Session, meeting_id: int) -> set[int]:
    """The ids of the members present at the meeting (signed in or 补记; not 请假 or 列席)."""
    return set(session.exec(select(AttendanceRow.member_id).where(AttendanceRow.meeting_id == meeting_id,
                                                                  AttendanceRow.status == "present")))


def attendance_count(*, session: Session, meeting_ids: Iterable[int]) -> int:
    wanted = list(meeting_ids)
    if not wanted:
        return 0
    return session.exec(select(func.count()).select_from(AttendanceRow)  # present: 请假 and 列席 are not attendance
                        .where(col(AttendanceRow.meeting_id).in_(wanted), AttendanceRow.status == "present")).one()


def sign_in(*, session: Session, meeting_id: int, member_id: int, now: datetime, status: str = "present") -> bool:
    """Record the member's sign-in (`status` observer: 列席, not expected), and the change in the audit trail;
    False when they had signed in already (here or on another instance). A member who asked for leave and came
    after all is signed in."""
    row = AttendanceRow(meeting_id=meeting_id, member_id=member_id, signed_at=now, status=status)
    if not add_once(session, row):
        return came_after_leave(session=session, signed=row)
    log_change(session=session, meeting_id=meeting_id, member_id=member_id, old_status="", new_status=row.status,
               reason="签到", changed_by="本人", now=now)
    return True
