"""签到, 签到情况, 会议统计, the 三会一课 report and the overdue notice: what happened at the meetings
that MeetingService arranged. The rules (sign-in windows, compliance) are pure, in scheduler/meetings.py."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.services.expected import attendance_of, expected_for, names, quorum_of
from bot.services.meetings import MeetingService, aware, naive, short_time
from bot.storage import meetings as stored
from bot.storage.branches import all_branches
from bot.storage.db import Database
from bot.storage.outbox import Push, enqueue
from bot.storage.people import identities_of, members_with_role
from bot.storage.points import award_points
from scheduler import meetings as rules

__all__ = ["AttendanceService", "ReportRow"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportRow:
    branch: str
    type: str
    period: str
    held: int
    required: int
    attendance_rate: float | None

    @property
    def behind(self) -> bool:
        return self.held < self.required


class AttendanceService:
    def __init__(self, *, db: Database, meetings: MeetingService, signin_before: timedelta, signin_after: timedelta,
                 now: Callable[[], datetime]) -> None:
        self._db, self._meetings = db, meetings
        self._before, self._after, self._now = signin_before, signin_after, now

    def held_dates(self, session: Session, branch_id: int, until: datetime) -> dict[str, list[date]]:
        held: dict[str, list[date]] = defaultdict(list)
        for row in stored.meetings_held_by(session=session, branch_id=branch_id, until=until):
            held[row.type_key].append(row.start_at.date())
        return held

    # ----- 签到 / 签到情况 -----

    def sign_in(self, session: Session, *, member_id: int, member_name: str, branch_id: int | None) -> str:
        now = self._now()
        type_of = self._meetings.type_of
        rows = self._meetings.upcoming(session, branch_id)
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
        observer = member_id not in {m.id for m in expected_for(session, row, kind=kind, now=now)}
        if not stored.sign_in(session=session, meeting_id=row.id, member_id=member_id, now=now,
                              status="observer" if observer else "present"):
            return f"{member_name} 已签到过{kind.name}，无需重复签到。"
        if observer:
            return (f"📝 {member_name} 已登记列席：{kind.name}（{short_time(row.start_at)}）。本次会议应到人员为"
                    f"{rules.who_text(kind.who, row.party_group)}，列席不计积分，也不计入出勤率。")
        if kind.points:
            award_points(session=session, member_id=member_id, amount=kind.points, reason="meeting",
                         source=f"{row.id}:{member_id}", now=now)
        gained = f"，获得 {kind.points} 分" if kind.points else ""
        return f"✅ {member_name} 已签到：{kind.name}（{short_time(row.start_at)}）{gained}。"

    def signin_report(self, session: Session, branch_id: int | None) -> str:
        row = stored.latest_meeting_started(session=session, branch_id=branch_id, before=self._now() + self._before,
                                            inclusive=True)
        if row is None:
            return "本支部还没有开始的会议。"
        kind = self._meetings.type_of(row.type_key)
        seen = attendance_of(session, row, kind=kind, now=self._now())
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

    # ----- 会议统计 and the report -----

    def report(self, session: Session, *, period: str, day: date,
               branch_ids: list[int] | None = None) -> list[ReportRow]:
        """Per branch and meeting type: held versus required in the period, and the attendance rate."""
        start, end = rules.period_bounds(period, day)
        since = datetime.combine(start, datetime.min.time())
        until = min(self._now(), datetime.combine(end, datetime.min.time()))
        rows: list[ReportRow] = []
        for branch in all_branches(session=session):
            if branch_ids is not None and branch.id not in branch_ids:
                continue
            held = self.held_dates(session, branch.id, until)
            for check in rules.compliance(self._meetings.types, held, day, report_period=period):
                meetings = stored.meeting_ids(session=session, branch_id=branch.id, type_key=check.type.key,
                                              start=since, until=until)
                # present among the expected attendees of each meeting (列席 count for neither)
                present = expected = 0
                for meeting in stored.meetings_by_id(session=session, meeting_ids=meetings):
                    seen = attendance_of(session, meeting, kind=check.type, now=self._now())
                    present, expected = present + len(seen.present), expected + len(seen.expected)
                rows.append(ReportRow(branch.name, check.type.name, rules.period_label(period, day), check.held,
                                      check.required, rules.attendance_rate(present, expected)))
        return rows

    def stats_text(self, session: Session, branch_id: int | None, day: date) -> str:
        rows = self.report(session, period="quarter", day=day, branch_ids=[branch_id] if branch_id else [])
        if not rows:
            return "本支部还没有会议记录。"
        lines = [f"📊 {rows[0].branch} {rows[0].period}三会一课："]
        for row in rows:
            rate = f"，出勤率 {row.attendance_rate:.0%}" if row.attendance_rate is not None else ""
            mark = "⚠️" if row.behind else "✅"
            lines.append(f"{mark} {row.type}：已开 {row.held} 次 / 应开 {row.required} 次{rate}")
        return "\n".join(lines)

    # ----- the overdue notice (a scheduled job) -----

    def overdue_notice(self) -> None:
        """Each secretary whose branch is behind is told so privately."""
        now = self._now()
        with self._db.session() as session:
            pushes = []
            for branch in all_branches(session=session):
                lines = rules.overdue_lines(rules.compliance(self._meetings.types,
                                                             self.held_dates(session, branch.id, now), now.date()),
                                            now.date())
                if not lines:
                    continue
                secretaries = members_with_role(session=session, branch_id=branch.id, role="secretary")
                if not secretaries:
                    log.warning("branch %s is behind on meetings but has no secretary to tell", branch.name)
                text = (f"📋 {branch.name} 三会一课提醒（{now:%Y-%m-%d}）：\n"
                        + "\n".join(f"· {line}" for line in lines)
                        + "\n发送「安排会议」安排，发送「会议统计」查看详情。")
                for member in secretaries:
                    for identity in identities_of(session=session, member_id=member.id):
                        pushes.append(Push(key=f"notice:{now:%Y%m%d}:{member.id}:{identity.channel}", kind="notice",
                                           channel=identity.channel, chat_id=identity.external_id, chat_name="私聊",
                                           is_group=False, text=text, due_at=now, branch_id=branch.id))
            enqueue(session=session, pushes=pushes, now=now)
            session.commit()
