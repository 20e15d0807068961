"""请假: a member excuses themselves from a meeting of their branch before it starts, with a reason (a second 请假
changes the reason). Once the meeting has started only a 书记 or 委员 can record it (补记); every change is in the
attendance audit trail."""

from __future__ import annotations

from sqlmodel import Session

from bot.services.meetings import MeetingService, short_time
from bot.services.numbers import parse_number
from bot.storage.attendance_log import attendance_of, set_attendance
from bot.storage.models import MeetingRow

__all__ = ["LeaveService", "LEAVE_USAGE"]

LEAVE_USAGE = ("请写明请假原因，例如：请假 出差（为本支部的下一次会议请假），"
               "或：请假 3 出差（编号见「会议」）。")


class LeaveService:
    def __init__(self, meetings: MeetingService) -> None:
        self._meetings = meetings

    def ask(self, session: Session, *, member_id: int, member_name: str, branch_id: int | None,
            args: list[str]) -> str:
        """请假 [编号] 原因."""
        if branch_id is None:
            return "机器人还不知道您属于哪个支部，请在本支部的群里发送「请假 原因」。"
        number = parse_number(args[0]) if args else None
        reason = " ".join(args[1:] if number is not None else args).strip()
        later: MeetingRow | None = None
        if number is not None:
            row = session.get(MeetingRow, number)
            if row is None or row.cancelled_at is not None or row.branch_id != branch_id:
                return f"本支部没有编号为 {number} 的会议。发送「会议」查看。"
        else:
            upcoming = self._meetings.upcoming(session, branch_id, limit=2)
            if not upcoming:
                return "本支部近期没有安排会议，不需要请假。"
            row, later = upcoming[0], (upcoming[1] if len(upcoming) > 1 else None)
        assert row.id is not None
        title = f"{self._meetings.type_of(row.type_key).name}（编号 {row.id}，{short_time(row.start_at)}）"
        if row.start_at <= self._meetings.now():
            also = (f"\n如要为下一次会议{self._meetings.type_of(later.type_key).name}（编号 {later.id}，"
                    f"{short_time(later.start_at)}）请假，请发送：请假 {later.id} 原因" if later is not None else "")
            return f"{title}已经开始，不能再请假。如确有原因未能参加，请联系书记或委员补记。{also}"
        if not reason:
            return f"请写明请假原因，例如：请假 {row.id} 出差。"
        old = attendance_of(session=session, meeting_id=row.id, member_ids=[member_id]).get(member_id)
        old_reason = old.reason if old is not None else ""
        if old is not None and old.status != "leave":
            return f"{member_name} 已签到{title}，不能再请假。如有变动，请联系书记或委员补记。"
        change = set_attendance(session=session, meeting_id=row.id, member_id=member_id, status="leave",
                                reason=reason, recorded_by="", changed_by="本人", now=self._meetings.now())
        if change is None:
            return f"{member_name} 已为{title}请假，原因：{reason}，没有改动。"
        if old is not None:
            return f"✅ 已更新 {member_name} 的请假原因：{title}，原因：{reason}（原为：{old_reason}）。"
        return f"✅ 已记录 {member_name} 请假：{title}，原因：{reason}。"
