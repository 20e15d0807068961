"""Attendance as recorded (出席, 请假, 列席; no row: absent) and its audit trail: every change, by a sign-in, a
请假 or a 补记, writes an attendance_change row (old and new status, why, by whom, when), so nothing is silently
overwritten."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from bot.storage.models import AttendanceRow, Member
from bot.storage.models_records import AttendanceChange
from bot.storage.once import add_once

__all__ = ["attendance_of", "set_attendance", "log_change", "came_after_leave", "changes_of"]


def attendance_of(*, session: Session, meeting_id: int, member_ids: Iterable[int]) -> dict[int, AttendanceRow]:
    """The attendance rows of these members at the meeting, by member id (absent members have none)."""
    wanted = list(member_ids)
    if not wanted:
        return {}
    return {row.member_id: row for row in session.exec(select(AttendanceRow).where(
        AttendanceRow.meeting_id == meeting_id, col(AttendanceRow.member_id).in_(wanted)))}


def log_change(*, session: Session, meeting_id: int, member_id: int, old_status: str, new_status: str,
               reason: str, changed_by: str, now: datetime) -> AttendanceChange:
    """Append one change to the audit trail (statuses: present, leave, observer; "" = absent)."""
    change = AttendanceChange(meeting_id=meeting_id, member_id=member_id, old_status=old_status,
                              new_status=new_status, reason=reason[:500], changed_by=changed_by[:100], changed_at=now)
    session.add(change)
    session.flush()
    return change


def set_attendance(*, session: Session, meeting_id: int, member_id: int, status: str, reason: str,
                   recorded_by: str, changed_by: str, now: datetime) -> AttendanceChange | None:
    """Record the member's attendance as `status` ("" = absent: the row goes) and log the change; None when it
    was so already (same status and reason): nothing written."""
    row = attendance_of(session=session, meeting_id=meeting_id, member_ids=[member_id]).get(member_id)
    old, old_reason = (row.status, row.reason) if row is not None else ("", "")
    if old == status and (old_reason == reason or not status):
        return None
    if not status:
        assert row is not None
        session.delete(row)
    elif row is None:
        new = AttendanceRow(meeting_id=meeting_id, member_id=member_id, signed_at=now, status=status,
                            reason=reason[:500], recorded_by=recorded_by[:100])
        if not add_once(session, new):  # written a moment ago by a sign-in on another instance: change that
            return set_attendance(session=session, meeting_id=meeting_id, member_id=member_id, status=status,
                                  reason=reason, recorded_by=recorded_by, changed_by=changed_by, now=now)
    else:
        row.status, row.reason, row.recorded_by = status, reason[:500], recorded_by[:100]
        session.add(row)
    return log_change(session=session, meeting_id=meeting_id, member_id=member_id, old_status=old,
                      new_status=status, reason=reason, changed_by=changed_by, now=now)


def came_after_leave(*, session: Session, signed: AttendanceRow) -> bool:
    """A sign-in (`signed`, not added: the member has a row already) of a member who asked for leave and came
    after all: their row takes the sign-in's status, and the change is logged. False for anyone else (they had
    signed in already)."""
    row = attendance_of(session=session, meeting_id=signed.meeting_id, member_ids=[signed.member_id]).get(
        signed.member_id)
    if row is None or row.status != "leave":
        return False
    change = set_attendance(session=session, meeting_id=signed.meeting_id, member_id=signed.member_id,
                            status=signed.status, reason="签到", recorded_by="", changed_by="本人",
                            now=signed.signed_at)
    if change is not None:
        row.signed_at = signed.signed_at
        session.add(row)
    return change is not None


def changes_of(*, session: Session, meeting_id: int) -> list[tuple[AttendanceChange, str]]:
    """The meeting's audit trail, oldest first, with each member's name."""
    return [(change, name) for change, name in session.exec(
        select(AttendanceChange, Member.name).join(Member, col(Member.id) == AttendanceChange.member_id)
        .where(AttendanceChange.meeting_id == meeting_id).order_by(col(AttendanceChange.id)))]
