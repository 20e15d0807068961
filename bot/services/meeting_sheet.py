"""One meeting's record as an inspector reads it on the dashboard (/meetings/{id}): type, time, place, host, topic,
the minutes, every expected attendee with 出席 / 请假 / 缺席 (and whether it was a 补记, by whom), 列席, and the
attendance changes with who made them and when. The people and statuses come from MeetingReports.records, the
same records as the 台账 and `studybot meetings report`; the wording from minutes_text and attendance_records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.services.attendance_records import status_label
from bot.services.meeting_report import MeetingRecord, MeetingReports
from bot.services.minutes_text import record_lines, saved_line
from bot.storage.attendance_log import changes_of
from bot.storage.meeting_ledger import attendance_of, members_by_id
from bot.storage.minutes import MINUTES_FIELDS, minutes_of
from bot.storage.models import AttendanceRow, Branch, MeetingRow
from scheduler.meetings import verbs

__all__ = ["Attendee", "MeetingSheet", "meeting_sheet"]


@dataclass(frozen=True)
class Attendee:
    name: str
    status: str  # 出席 / 请假 / 缺席 / 列席
    how: str  # 本人签到, 补记（张书记）…, "" for 缺席
    reason: str
    at: datetime | None


@dataclass(frozen=True)
class MeetingSheet:
    id: int
    branch: str
    type_name: str
    start: datetime
    place: str
    topic: str
    state: str  # 已召开 / 待补记录 / 未开始 / 已取消, with （不足法定人数）
    created: str  # 「张书记 于 2026-03-01 10:00 安排（群聊）」
    minutes: list[tuple[str, str]]  # (label, text), 「（未填）」 for an empty field; [] without minutes
    minutes_saved: str
    attendees: list[Attendee]  # the expected, then 列席
    expected: int
    present: int
    changes: list[tuple[datetime, str, str, str]]  # when, name, 「请假 → 出席」, 「补记（原因）」 by whom


def _state(row: MeetingRow, record: MeetingRecord | None, now: datetime) -> str:
    if row.cancelled_at is not None:
        return f"已取消（{row.cancelled_at:%Y-%m-%d %H:%M}）"
    if row.start_at > now or record is None:
        return "未开始"
    held = f"已{verbs(row.type_key)[0]}" if record.held else "待补记录"
    return held + ("（不足法定人数）" if record.quorum_short else "")


def meeting_sheet(reports: MeetingReports, session: Session, row: MeetingRow, now: datetime) -> MeetingSheet:
    """The sheet of `row` (a meeting the caller has checked the viewer may see)."""
    assert row.id is not None
    branch = session.get(Branch, row.branch_id)
    record = None
    if branch is not None and row.cancelled_at is None:
        record = next((r for r in reports.records(session, branch, row.start_at, row.start_at) if r.id == row.id),
                      None)
    marks = {a.member_id: a for a in attendance_of(session=session, meeting_ids=[row.id])}
    names = {i: m.name for i, m in members_by_id(session=session, member_ids=marks).items()}
    by_name = {names.get(i, ""): a for i, a in marks.items()}
    attendees = []
    if record is not None:
        for name in record.expected:
            mark = by_name.get(name)
            status = "缺席" if mark is None or name in record.absent else status_label(mark.status)
            attendees.append(_attendee(name, status, mark))
        attendees += [_attendee(name, "列席", by_name.get(name)) for name in record.observers]
    else:
        attendees = [_attendee(names.get(i, ""), status_label(a.status), a) for i, a in marks.items()]
    notes = minutes_of(session=session, meeting_id=row.id)
    fields = {key: getattr(notes, key) for key, _ in MINUTES_FIELDS} if notes else {}
    minutes = [tuple(line.split("：", 1)) for line in record_lines(fields)] if notes else []
    changes = [(c.changed_at, name, f"{status_label(c.old_status)} → {status_label(c.new_status)}",
                f"{c.reason + '，' if c.reason else ''}{c.changed_by or '本人'}")
               for c, name in changes_of(session=session, meeting_id=row.id)]
    kind = reports.type_name(row.type_key) + (f"（{row.party_group}）" if row.party_group else "")
    return MeetingSheet(
        id=row.id, branch=branch.name if branch else "", type_name=kind, start=row.start_at, place=row.place,
        topic=row.topic, state=_state(row, record, now),
        created=f"{row.created_by or '未署名'} 于 {row.created_at:%Y-%m-%d %H:%M} 安排（{_source(row.source)}）",
        minutes=[(label, text) for label, text in minutes], minutes_saved=saved_line(notes) if notes else "",
        attendees=attendees, expected=len(record.expected) if record else 0,
        present=len(record.present) if record else 0, changes=changes)


def _attendee(name: str, status: str, mark: AttendanceRow | None) -> Attendee:
    if mark is None or status == "缺席":
        return Attendee(name, status, "", "", None)
    how = f"补记（{mark.recorded_by}）" if mark.recorded_by else ("本人请假" if status == "请假" else "本人签到")
    return Attendee(name, status, how, mark.reason, mark.signed_at)


def _source(source: str) -> str:
    return {"chat": "群聊", "cli": "命令行"}.get(source, source)
