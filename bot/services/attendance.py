"""签到, 签到情况, 会议统计, the 三会一课 report, the overdue notice and the warning: what happened at the meetings
that MeetingService arranged. The rules (sign-in windows, compliance) are pure, in scheduler/meetings/; the figures
are in meeting_report.py, the notices in meeting_notices.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.services.expected import attendance_of, expected_for, names, quorum_of
from bot.services.meeting_notices import send_notices, stats_text
from bot.services.meeting_report import MeetingReports, ReportRow
from bot.services.meetings import MeetingService, aware, naive, short_time
from bot.services.points_notes import gained_text
from bot.storage import meetings as stored
from bot.storage.branches import branch_named
from bot.storage.db import Database
from bot.storage.points import award_points
from scheduler import meetings as rules
from scheduler.points import Cap

__all__ = ["AttendanceService", "ReportRow"]


class AttendanceService:
    def __init__(self, *, db: Database, meetings: MeetingService, signin_before: timedelta, signin_after: timedelta,
                 now: Callable[[], datetime], bodies: Mapping[str, Sequence[str]] | None = None,
                 warning_days: int = 7, meeting_cap: Cap | None = None) -> None:
        self._db, self._meetings = db, meetings
        self._before, self._after, self._now = signin_before, signin_after, now
        self.meeting_cap = meeting_cap  # points.caps's 组织生活 (none by default)
        # meetings.groups: the 党委's bodies (中心组 …) and their members, each kept as a pseudo-branch
        self.bodies, self._warning_days = dict(bodies or {}), warning_days
        self.reports = MeetingReports(types=meetings.types, bodies=self.bodies, now=now)

    # ----- 签到 / 签到情况 -----

    def sign_in(self, session: Session, *, member_id: int, member_name: str, branch_id: int | None) -> str:
        now = self._now()
        type_of = self._meetings.type_of
        rows = self._meetings.upcoming(session, branch_id)
        for body in (b for b, listed in self.bodies.items() if member_name in listed):  # 中心组 …: its members
            if (found := branch_named(session=session, name=body)) is not None:
                rows = sorted([*rows, *self._meetings.upcoming(session, found.id)], key=lambda r: r.start_at)
        open_rows = [r for r in rows if rules.signin_state(aware(r.start_at), aware(now), self._before,
                                                            self._after) == "open"]
        if not open_rows:
            if rows:
                first = rows[0]
                opens = naive(rules.signin_window(aware(first.start_at), self._before, self._after)[0])
                return (f"现在还不能签到。{type_of(first.type_key).name}于 {short_time(first.start_at)} 开始，"
                        f"{short_time(opens)} 起可以签到。")
            ended = stored.latest_meeting_started(session=session, branch_id=branch_id, before=now,
                                                  since=now - timedelta(days=1))
            if ended is not None:
                closes = ended.start_at + self._after
                return (f"{type_of(ended.type_key).name}的签到已于 {short_time(closes)} 结束。"
                        "如确实参加了会议，请联系书记补记。")
            return "本支部现在没有需要签到的会议。发送「会议」查看近期安排。"
        row = min(open_rows, key=lambda r: abs(r.start_at - now))
        kind = type_of(row.type_key)
        # not expected (a 委员's meeting, another 小组's): 列席, recorded without points and outside the rate
        observer = member_id not in {m.id for m in expected_for(session, row, kind=kind, now=now, bodies=self.bodies)}
        if not stored.sign_in(session=session, meeting_id=row.id, member_id=member_id, now=now,
                              status="observer" if observer else "present"):
            return f"{member_name} 已签到过{kind.name}，无需重复签到。"
        if observer:
            return (f"📝 {member_name} 已登记列席：{kind.name}（{short_time(row.start_at)}）。本次会议应到人员为"
                    f"{rules.who_text(kind.who, row.party_group)}，列席不计积分，也不计入出勤率。")
        # False when this sign-in's points were settled before (paid, then taken back by a 补记 缺席): not again
        paid = kind.points and award_points(session=session, member_id=member_id, amount=kind.points,
                                            reason="meeting", source=f"{row.id}:{member_id}", now=now,
                                            cap=self.meeting_cap, note=f"{kind.name}（{short_time(row.start_at)}）")
        settled = "（本次会议的积分已由书记处理过，不再计分）" if kind.points else ""
        gained = gained_text(paid) if paid else settled
        return f"✅ {member_name} 已签到：{kind.name}（{short_time(row.start_at)}）{gained}。"

    def signin_report(self, session: Session, branch_id: int | None) -> str:
        row = stored.latest_meeting_started(session=session, branch_id=branch_id, before=self._now() + self._before,
                                            inclusive=True)
        if row is None:
            return "本支部还没有开始的会议。"
        kind = self._meetings.type_of(row.type_key)
        seen = attendance_of(session, row, kind=kind, now=self._now(), bodies=self.bodies)
        group = f"（{row.party_group}）" if row.party_group else ""
        lines = [f"📝 {kind.name}{group}（{short_time(row.start_at)}）签到 {len(seen.present)}/{len(seen.expected)} 人",
                 f"已签到：{names(seen.present)}"]
        lines += [f"请假：{names(seen.on_leave)}"] if seen.on_leave else []
        lines += [f"未签到：{names(seen.absent)}"]
        lines += [f"列席：{names(seen.observers)}"] if seen.observers else []
        counted = quorum_of(session, row, kind=kind, now=self._now(), attendance=seen)
        if counted is not None and not counted.met:
            lines.append(f"⚠️ 到会{counted.label}未过半数（应到 {counted.voters} 人，实到 {counted.present} 人），"
                         "不足法定人数，不能进行表决")
        return "\n".join(lines)

    # ----- 会议统计 and the report (bot/services/meeting_report.py) -----

    def report(self, session: Session, *, period: str, day: date,
               branch_ids: list[int] | None = None) -> list[ReportRow]:
        """Per branch and meeting type: held versus required in the period, and the attendance rate."""
        return self.reports.report(session, period=period, day=day, branch_ids=branch_ids)[0]

    def stats_text(self, session: Session, branch_id: int | None, day: date) -> str:
        return stats_text(self.reports, session, branch_id, day)

    # ----- the overdue notice and the warning before a month ends (scheduled jobs) -----

    def overdue_notice(self) -> None:
        """Each secretary whose branch missed meetings in the period just ended is told so privately."""
        send_notices(self._db, self.reports, self._now(), warning_days=None)

    def warning_notice(self) -> None:
        """In the last days of a month, each secretary whose branch is still missing meetings is told."""
        send_notices(self._db, self.reports, self._now(), warning_days=self._warning_days)
