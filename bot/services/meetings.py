"""三会一课 and 主题党日: arranging meetings, reminders, 签到, statistics and the overdue notice.

The rules (types, parsing, windows, compliance) are pure, in scheduler/meetings.py; this service
stores meetings and attendance, writes reminders and notices to the outbox, and keeps the
meetings' reminder jobs in the job store."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.clock import SHANGHAI
from bot.jobs.book import JobBook, JobSpec
from bot.storage.db import Database
from bot.storage.models import AttendanceRow, Branch, ChatGroup, Identity, MeetingRow, Member
from bot.storage.outbox import Push, enqueue
from bot.storage.points import award_points
from scheduler import meetings as rules
from scheduler.meetings import MeetingType

__all__ = ["MeetingService", "ReportRow"]

log = logging.getLogger(__name__)


def naive(when: datetime) -> datetime:
    return when.astimezone(SHANGHAI).replace(tzinfo=None) if when.tzinfo else when


def aware(when: datetime) -> datetime:
    return when.replace(tzinfo=SHANGHAI) if when.tzinfo is None else when


def _short(when: datetime) -> str:
    return f"{when.month}月{when.day}日 {when:%H:%M}"


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


class MeetingService:
    def __init__(self, *, db: Database, jobs: JobBook, types: tuple[MeetingType, ...], calendar: object,
                 offsets: Sequence[timedelta], signin_before: timedelta, signin_after: timedelta,
                 notice_trigger: object, notice_grace: timedelta, now: Callable[[], datetime]) -> None:
        self.db, self._jobs, self.types, self._calendar = db, jobs, types, calendar
        self._offsets, self._before, self._after = tuple(offsets), signin_before, signin_after
        self._notice_trigger, self._notice_grace, self._now = notice_trigger, notice_grace, now

    def now(self) -> datetime:
        return self._now()

    def type_of(self, key: str) -> MeetingType:
        return next((t for t in self.types if t.key == key), rules.DEFAULT_TYPES[0])

    # ----- arranging -----

    def parse(self, text: str) -> rules.MeetingDraft:
        return rules.parse_meeting(text, types=self.types, now=aware(self._now()), calendar=self._calendar)

    def add(self, session: Session, *, branch_id: int, draft: rules.MeetingDraft, by: str,
            source: str = "chat", told: str | None = None) -> MeetingRow:
        """A new meeting, announced to the branch's groups (except `told`, the chat it was arranged in,
        which has the reply already)."""
        row = MeetingRow(branch_id=branch_id, type_key=draft.type.key, start_at=naive(draft.start), place=draft.place,
                         topic=draft.topic, created_by=by, created_at=self._now(), source=source)
        session.add(row)
        session.flush()
        self._announce(session, row, f"📅 已安排{draft.type.name}：{rules.when_text(aware(row.start_at))}"
                                     f"{rules.details_text(row.place, row.topic)}\n会议开始前会在群里提醒。",
                       f"meeting:{row.id}:added", told)
        return row

    def activate(self, meeting_id: int) -> None:
        """The meeting's reminder jobs (after the meeting is committed: SQLite has one writer at a time)."""
        with self.db.session() as session:
            row = session.get(MeetingRow, meeting_id)
        if row is None:
            return
        # a meeting arranged for tomorrow gets no "3 days before" reminder
        for offset, _at in rules.reminder_times(aware(row.start_at), self._offsets, now=aware(self._now())):
            self._jobs.put(self._reminder_spec(row, offset))

    def _reminder_spec(self, row: MeetingRow, offset: timedelta) -> JobSpec:
        from apscheduler.triggers.date import DateTrigger

        at = aware(row.start_at) - offset
        # a reminder is useful until about half its lead time has passed (the 1 h one: 30 minutes late)
        return JobSpec(f"remind:{row.id}:{int(offset.total_seconds())}", "remind",
                       f"{row.id}:{int(offset.total_seconds())}:{row.start_at:%Y%m%d%H%M}",
                       DateTrigger(run_date=at, timezone=SHANGHAI), offset / 2)

    def reschedule(self, session: Session, *, branch_id: int | None, args: list[str],
                   told: str | None = None) -> tuple[MeetingRow | None, str]:
        """修改会议 <编号> <日期> <时间> [地点] [主题]: the meeting moved and announced; (row or None, reply)."""
        usage = "格式：修改会议 编号 日期 时间 [地点] [主题]，例如：修改会议 1 2026-12-02 09:30 二楼会议室"
        if len(args) < 3 or not args[0].isdigit():
            return None, usage
        row = session.get(MeetingRow, int(args[0]))
        if row is None or row.cancelled_at is not None or row.branch_id != branch_id:
            return None, f"本支部没有编号为 {args[0]} 的会议。发送「会议」查看。"
        if row.start_at <= self._now():
            return None, "这次会议已经开始或结束，不能再修改。"
        rest = list(args[1:])
        if len(rest) == 2:  # only a new time: place and topic stay
            rest += [row.place or "", row.topic or ""]
        try:
            draft = self.parse(" ".join([self.type_of(row.type_key).name, *rest]))
        except rules.MeetingError as exc:
            return None, f"{exc}\n{usage}"
        self.change(session, row, draft, told=told)
        warnings = "".join(f"\n⚠️ {w}" for w in draft.warnings)
        return row, f"✅ 已修改（编号 {row.id}）：{self.line(row)}{warnings}\n已通知本支部的各个群，提醒时间随之调整。"

    def rearm(self, meeting_id: int) -> None:
        """After a change: the old reminders removed, the new ones set."""
        for offset in self._offsets:
            self._jobs.remove(f"remind:{meeting_id}:{int(offset.total_seconds())}")
        self.activate(meeting_id)

    def change(self, session: Session, row: MeetingRow, draft: rules.MeetingDraft, told: str | None = None) -> None:
        """A meeting moved (or its place or topic changed): stored and announced; its reminder jobs
        follow when the jobs are reconciled (their signature holds the start)."""
        old_start, old_place = row.start_at, row.place
        row.type_key, row.start_at, row.place, row.topic = draft.type.key, naive(draft.start), draft.place, draft.topic
        session.add(row)
        text = rules.changed_text(draft.type.name, aware(old_start), draft.start, row.place, row.topic,
                                  old_place=old_place)
        self._announce(session, row, text, f"meeting:{row.id}:changed:{row.start_at:%Y%m%d%H%M}:{row.place}", told)

    def cancel(self, session: Session, *, branch_id: int | None, number: str, any_branch: bool = False,
               told: str | None = None, commit: bool = True) -> str:
        if not number.isdigit():
            return "请写要取消的会议编号，例如：取消会议 3（编号见「会议」）"
        row = session.get(MeetingRow, int(number))
        if row is None or row.cancelled_at is not None or (row.branch_id != branch_id and not any_branch):
            return f"本支部没有编号为 {number} 的会议。发送「会议」查看。"
        row.cancelled_at = self._now()
        session.add(row)
        name = self.type_of(row.type_key).name
        self._announce(session, row, rules.cancelled_text(name, aware(row.start_at), row.place),
                       f"meeting:{row.id}:cancelled", told)
        if not commit:
            return ""
        session.commit()
        for offset in self._offsets:
            self._jobs.remove(f"remind:{row.id}:{int(offset.total_seconds())}")
        return f"已取消{name}（编号 {row.id}），并已通知本支部的各个群。"

    def _announce(self, session: Session, row: MeetingRow, text: str, key: str, told: str | None) -> None:
        now = self._now()
        pushes = [Push(key=f"{key}:{g.channel}:{g.external_id}", kind="meeting", channel=g.channel,
                       chat_id=g.external_id, chat_name=g.name, is_group=True, text=text, due_at=now,
                       branch_id=row.branch_id)
                  for g in self._groups(session, row.branch_id) if g.external_id != told]
        enqueue(session=session, pushes=pushes, now=now)

    @staticmethod
    def _groups(session: Session, branch_id: int) -> list[ChatGroup]:
        return list(session.exec(select(ChatGroup).where(ChatGroup.branch_id == branch_id).order_by(ChatGroup.id)))

    # ----- jobs -----

    def specs(self) -> list[JobSpec]:
        """Reminders still to come; and those already stored but due (missed while the bot was down: the
        job store decides, by their grace, whether they still go). A reminder whose time had passed when
        the meeting was arranged never gets a job."""
        now = self._now()
        stored = {job_id for job_id, _ in self._jobs.jobs("remind:")}
        with self.db.session() as session:
            rows = list(session.exec(select(MeetingRow).where(col(MeetingRow.cancelled_at).is_(None),
                                                              MeetingRow.start_at > now)))
        specs = [self._reminder_spec(row, offset) for row in rows for offset in self._offsets]
        return [spec for spec, (row, offset) in zip(specs, [(r, o) for r in rows for o in self._offsets])
                if row.start_at - offset > now or spec.id in stored]

    def notice_spec(self) -> JobSpec:
        return JobSpec("notice:overdue", "notice", "overdue", self._notice_trigger, self._notice_grace)

    def reconcile(self) -> None:
        self._jobs.reconcile(self.specs(), prefix="remind:")
        self._jobs.reconcile([self.notice_spec()], prefix="notice:")

    def remind(self, ref: str) -> None:
        meeting_id, seconds, _ = ref.split(":")
        now = self._now()
        with self.db.session() as session:
            row = session.get(MeetingRow, int(meeting_id))
            if row is None or row.cancelled_at is not None:
                return
            offset = timedelta(seconds=int(seconds))
            text = rules.reminder_text(self.type_of(row.type_key).name, aware(row.start_at), row.place, row.topic,
                                       offset)
            pushes = [Push(key=f"remind:{row.id}:{seconds}:{row.start_at:%Y%m%d%H%M}:{g.channel}:{g.external_id}",
                           kind="reminder", channel=g.channel, chat_id=g.external_id, chat_name=g.name, is_group=True,
                           text=text, due_at=now, branch_id=row.branch_id)
                      for g in self._groups(session, row.branch_id)]
            enqueue(session=session, pushes=pushes, now=now)
            session.commit()

    def held_dates(self, session: Session, branch_id: int, until: datetime) -> dict[str, list[date]]:
        held: dict[str, list[date]] = defaultdict(list)
        for row in session.exec(select(MeetingRow).where(MeetingRow.branch_id == branch_id,
                                                         col(MeetingRow.cancelled_at).is_(None),
                                                         MeetingRow.start_at <= until)):
            held[row.type_key].append(row.start_at.date())
        return held

    def overdue_notice(self) -> None:
        """Each secretary whose branch is behind is told so privately."""
        now = self._now()
        with self.db.session() as session:
            pushes = []
            for branch in session.exec(select(Branch).order_by(Branch.id)):
                lines = rules.overdue_lines(
                    rules.compliance(self.types, self.held_dates(session, branch.id, now), now.date()), now.date())
                if not lines:
                    continue
                secretaries = list(session.exec(select(Member).where(Member.branch_id == branch.id,
                                                                     Member.role == "secretary")))
                if not secretaries:
                    log.warning("branch %s is behind on meetings but has no secretary to tell", branch.name)
                text = (f"📋 {branch.name} 三会一课提醒（{now:%Y-%m-%d}）：\n" + "\n".join(f"· {line}" for line in lines)
                        + "\n发送「安排会议」安排，发送「会议统计」查看详情。")
                for member in secretaries:
                    for identity in session.exec(select(Identity).where(Identity.member_id == member.id)):
                        pushes.append(Push(key=f"notice:{now:%Y%m%d}:{member.id}:{identity.channel}", kind="notice",
                                           channel=identity.channel, chat_id=identity.external_id, chat_name="私聊",
                                           is_group=False, text=text, due_at=now, branch_id=branch.id))
            enqueue(session=session, pushes=pushes, now=now)
            session.commit()

    # ----- 会议 / 签到 / 签到情况 / 会议统计 -----

    def upcoming(self, session: Session, branch_id: int | None, limit: int = 10) -> list[MeetingRow]:
        since = self._now() - self._after
        return list(session.exec(select(MeetingRow).where(MeetingRow.branch_id == branch_id,
                                                          col(MeetingRow.cancelled_at).is_(None),
                                                          MeetingRow.start_at >= since)
                                 .order_by(MeetingRow.start_at).limit(limit)))

    def line(self, row: MeetingRow) -> str:
        where = f"，{row.place}" if row.place else ""
        topic = f"，主题：{row.topic}" if row.topic else ""
        return f"[{row.id}] {rules.when_text(aware(row.start_at))} {self.type_of(row.type_key).name}{where}{topic}"

    def sign_in(self, session: Session, *, member_id: int, member_name: str, branch_id: int | None) -> str:
        now = self._now()
        rows = self.upcoming(session, branch_id)
        open_rows = [r for r in rows if rules.signin_state(aware(r.start_at), aware(now), self._before,
                                                            self._after) == "open"]
        if not open_rows:
            if rows:
                first = rows[0]
                opens = naive(rules.signin_window(aware(first.start_at), self._before, self._after)[0])
                return (f"现在还不能签到。{self.type_of(first.type_key).name}于 {_short(first.start_at)} 开始，"
                        f"{_short(opens)} 起可以签到。")
            ended = session.exec(select(MeetingRow).where(MeetingRow.branch_id == branch_id,
                                                          col(MeetingRow.cancelled_at).is_(None),
                                                          MeetingRow.start_at < now,
                                                          MeetingRow.start_at >= now - timedelta(days=1))
                                 .order_by(col(MeetingRow.start_at).desc())).first()
            if ended is not None:
                closes = ended.start_at + self._after
                return (f"{self.type_of(ended.type_key).name}的签到已于 {_short(closes)} 结束。"
                        "如确实参加了会议，请联系书记补记。")
            return "本支部现在没有需要签到的会议。发送「会议」查看近期安排。"
        row = min(open_rows, key=lambda r: abs(r.start_at - now))
        kind = self.type_of(row.type_key)
        try:
            with session.begin_nested():
                session.add(AttendanceRow(meeting_id=row.id, member_id=member_id, signed_at=now))
        except IntegrityError:
            return f"{member_name} 已签到过{kind.name}，无需重复签到。"
        if kind.points:
            award_points(session=session, member_id=member_id, amount=kind.points, reason="meeting",
                         source=f"{row.id}:{member_id}", now=now)
        gained = f"，获得 {kind.points} 分" if kind.points else ""
        return f"✅ {member_name} 已签到：{kind.name}（{_short(row.start_at)}）{gained}。"

    def signin_report(self, session: Session, branch_id: int | None) -> str:
        now = self._now()
        rows = [r for r in session.exec(select(MeetingRow).where(MeetingRow.branch_id == branch_id,
                                                                 col(MeetingRow.cancelled_at).is_(None),
                                                                 MeetingRow.start_at <= now + self._before)
                                        .order_by(col(MeetingRow.start_at).desc()).limit(1))]
        if not rows:
            return "本支部还没有开始的会议。"
        row = rows[0]
        signed = set(session.exec(select(AttendanceRow.member_id).where(AttendanceRow.meeting_id == row.id)))
        members = list(session.exec(select(Member).where(Member.branch_id == branch_id).order_by(Member.id)))
        here = [m.name for m in members if m.id in signed]
        missing = [m.name for m in members if m.id not in signed]
        return (f"📝 {self.type_of(row.type_key).name}（{_short(row.start_at)}）签到 {len(here)}/{len(members)} 人\n"
                f"已签到：{'、'.join(here) or '无'}\n未签到：{'、'.join(missing) or '无'}")

    def report(self, session: Session, *, period: str, day: date, branch_ids: list[int] | None = None) -> list[ReportRow]:
        """Per branch and meeting type: held versus required in the period, and the attendance rate."""
        start, end = rules.period_bounds(period, day)
        until = min(self._now(), datetime.combine(end, datetime.min.time()))
        rows: list[ReportRow] = []
        branches = list(session.exec(select(Branch).order_by(Branch.id)))
        for branch in branches:
            if branch_ids is not None and branch.id not in branch_ids:
                continue
            held = self.held_dates(session, branch.id, until)
            size = len(list(session.exec(select(Member.id).where(Member.branch_id == branch.id))))
            for check in rules.compliance(self.types, held, day, report_period=period):
                meetings = list(session.exec(select(MeetingRow.id).where(
                    MeetingRow.branch_id == branch.id, MeetingRow.type_key == check.type.key,
                    col(MeetingRow.cancelled_at).is_(None), MeetingRow.start_at >= datetime.combine(start, datetime.min.time()),
                    MeetingRow.start_at <= until)))
                attended = len(list(session.exec(select(AttendanceRow.id).where(
                    col(AttendanceRow.meeting_id).in_(meetings))))) if meetings else 0
                rows.append(ReportRow(branch.name, check.type.name, rules.period_label(period, day), check.held,
                                      check.required, rules.attendance_rate(attended, size * len(meetings))))
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
