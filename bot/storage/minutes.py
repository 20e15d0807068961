"""会议记录 (meeting_minutes), the minutes dialogue's draft (minutes_draft) and what a meeting's held-or-pending
status is read from."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, func, select

from bot.storage.models import AttendanceRow, MeetingRow
from bot.storage.models_records import MinutesDraft, MinutesRow

__all__ = ["MINUTES_FIELDS", "minutes_of", "save_minutes", "draft_of", "put_draft", "drop_draft", "attended_counts",
           "minuted", "meetings_started_between"]

# the fields of a record, in the order they are asked, with their Chinese names
MINUTES_FIELDS: tuple[tuple[str, str], ...] = (("chair", "主持人"), ("recorder", "记录人"), ("agenda", "议程/主题"),
                                               ("content", "主要内容"), ("decisions", "决议事项"))
# attendance that shows a meeting took place (a 请假 does not)
_ATTENDED = ("present", "observer")


def minutes_of(*, session: Session, meeting_id: int) -> MinutesRow | None:
    return session.exec(select(MinutesRow).where(MinutesRow.meeting_id == meeting_id)).first()


def save_minutes(*, session: Session, meeting_id: int, fields: dict[str, str], by: str, now: datetime) -> MinutesRow:
    """The meeting's minutes written whole: new, or replacing the old text (recorded_at stays: when it was first
    recorded; updated_at and recorded_by say who changed it last, and when)."""
    row = minutes_of(session=session, meeting_id=meeting_id)
    if row is None:
        row = MinutesRow(meeting_id=meeting_id, recorded_at=now, updated_at=now)
    for key, _ in MINUTES_FIELDS:
        setattr(row, key, fields.get(key, ""))
    row.recorded_by, row.updated_at = by, now
    session.add(row)
    return row


def draft_of(*, session: Session, member_id: int) -> MinutesDraft | None:
    return session.exec(select(MinutesDraft).where(MinutesDraft.member_id == member_id)).first()


def put_draft(*, session: Session, member_id: int, meeting_id: int, step: int, answers: str,
              now: datetime) -> MinutesDraft:
    draft = draft_of(session=session, member_id=member_id) or MinutesDraft(member_id=member_id, meeting_id=meeting_id,
                                                                           updated_at=now)
    draft.meeting_id, draft.step, draft.answers, draft.updated_at = meeting_id, step, answers, now
    session.add(draft)
    return draft


def drop_draft(*, session: Session, member_id: int) -> None:
    draft = draft_of(session=session, member_id=member_id)
    if draft is not None:
        session.delete(draft)


def attended_counts(*, session: Session, meeting_ids: Iterable[int]) -> dict[int, int]:
    """Per meeting: how many attendance records say 出席 or 列席 (meetings with none are left out)."""
    wanted = list(meeting_ids)
    if not wanted:
        return {}
    rows = session.exec(select(AttendanceRow.meeting_id, func.count()).where(
        col(AttendanceRow.meeting_id).in_(wanted), col(AttendanceRow.status).in_(_ATTENDED))
        .group_by(AttendanceRow.meeting_id))
    return {meeting_id: count for meeting_id, count in rows}


def minuted(*, session: Session, meeting_ids: Iterable[int]) -> set[int]:
    """Which of the meetings have minutes."""
    wanted = list(meeting_ids)
    if not wanted:
        return set()
    return set(session.exec(select(MinutesRow.meeting_id).where(col(MinutesRow.meeting_id).in_(wanted))))


def meetings_started_between(*, session: Session, since: datetime, until: datetime) -> list[MeetingRow]:
    """Every branch's meetings not cancelled that started in [since, until], oldest first."""
    return list(session.exec(select(MeetingRow).where(col(MeetingRow.cancelled_at).is_(None),
                                                      MeetingRow.start_at >= since, MeetingRow.start_at <= until)
                             .order_by(MeetingRow.start_at, MeetingRow.id)))
