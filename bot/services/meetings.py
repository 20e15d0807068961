"""三会一课 and 主题党日: arranging, moving and cancelling meetings, announcing them, and their reminders.

The rules (types, parsing, reminder times) are pure, in scheduler/meetings.py; this service stores
meetings, writes announcements and reminders to the outbox, and keeps the meetings' reminder jobs in
the job store. What happens at a meeting (签到, statistics, the overdue notice) is AttendanceService's."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.clock import SHANGHAI
from bot.jobs.book import JobBook, JobSpec
from bot.services.numbers import parse_number
from bot.services.wording import MEETINGS_IN_CHAT, MeetingWording
from bot.storage.branches import groups_of_branch
from bot.storage.db import Database
from bot.storage.meetings import meetings_starting_after, upcoming_meetings
from bot.storage.models import Branch, MeetingRow
from bot.storage.outbox import Push, enqueue
from scheduler import meetings as rules
from scheduler.meetings import MeetingType

__all__ = ["MeetingService", "naive", "aware", "short_time"]

log = logging.getLogger(__name__)


def naive(when: datetime) -> datetime:
    return when.astimezone(SHANGHAI).replace(tzinfo=None) if when.tzinfo else when


def aware(when: datetime) -> datetime:
    return when.replace(tzinfo=SHANGHAI) if when.tzinfo is None else when


def short_time(when: datetime) -> str:
    """12月1日 14:30"""
    return f"{when.month}月{when.day}日 {when:%H:%M}"


class MeetingService:
    def __init__(self, *, db: Database, jobs: JobBook, types: tuple[MeetingType, ...], calendar: object,
                 offsets: Sequence[timedelta], listed_after: timedelta, notice_trigger: object,
                 notice_grace: timedelta, now: Callable[[], datetime], warning_trigger: object | None = None) -> None:
        self.db, self._jobs, self.types, self._calendar = db, jobs, types, calendar
        # a meeting stays in 「会议」 this long after its start: as long as its sign-in is open
        self._offsets, self._listed_after = tuple(offsets), listed_after
        self._notice_trigger, self._notice_grace, self._now = notice_trigger, notice_grace, now
        self._warning_trigger = warning_trigger  # the warning in a month's last days (None: no warning)

    def now(self) -> datetime:
        return self._now()

    def type_of(self, key: str) -> MeetingType:
        return next((t for t in self.types if t.key == key), rules.DEFAULT_TYPES[0])

    # ----- arranging -----

    def parse(self, text: str, groups: Sequence[str] = ()) -> rules.MeetingDraft:
        """`groups`: the branch's 党小组 (a 党小组会 names one; bot.storage.attendees.party_groups_of)."""
        return rules.parse_meeting(text, types=self.types, now=aware(self._now()), calendar=self._calendar,
                                   groups=groups)

    def add(self, session: Session, *, branch_id: int, draft: rules.MeetingDraft, by: str,
            source: str = "chat", told: str | None = None) -> MeetingRow:
        """A new meeting, announced to the branch's groups (except `told`, the chat it was arranged in,
        which has the reply already)."""
        row = MeetingRow(branch_id=branch_id, type_key=draft.type.key, start_at=naive(draft.start), place=draft.place,
                         topic=draft.topic, created_by=by, created_at=self._now(), source=source,
                         party_group=draft.party_group)
        session.add(row)
        session.flush()
        self._announce(session, row, f"📅 已安排{self.title(row)}：{rules.when_text(aware(row.start_at))}"
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

    def reschedule(self, session: Session, *, branch_id: int | None, args: list[str], any_branch: bool = False,
                   told: str | None = None) -> tuple[MeetingRow | None, str]:
        """修改会议 <编号> <日期> <时间> [地点] [主题]: the meeting moved and announced; (row or None, reply)."""
        usage = "格式：修改会议 编号 日期 时间 [地点] [主题]，例如：修改会议 1 2026-12-02 09:30 二楼会议室"
        number = parse_number(args[0]) if len(args) >= 3 else None
        if number is None:
            return None, usage
        row = session.get(MeetingRow, number)
        if row is None or row.cancelled_at is not None or (row.branch_id != branch_id and not any_branch):
            return None, f"本支部没有编号为 {number} 的会议。发送「会议」查看。"
        if row.start_at <= self._now():
            return None, "这次会议已经开始或结束，不能再修改。"
        rest = list(args[1:])
        if len(rest) == 2:  # only a new time: place and topic stay
            rest += [row.place or "", row.topic or ""]
        try:
            draft = self.parse(" ".join([self.type_of(row.type_key).name, *rest]),
                               groups=[row.party_group] if row.party_group else ())
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
                                  old_place=old_place, verb=rules.verbs(draft.type.key)[0])
        self._announce(session, row, text, f"meeting:{row.id}:changed:{row.start_at:%Y%m%d%H%M}:{row.place}", told)

    def cancel(self, session: Session, *, branch_id: int | None, number: str, any_branch: bool = False,
               told: str | None = None, commit: bool = True, wording: MeetingWording = MEETINGS_IN_CHAT) -> str:
        meeting_id = parse_number(number)
        if meeting_id is None:
            return wording.cancel_usage
        row = session.get(MeetingRow, meeting_id)
        if row is None or row.cancelled_at is not None or (row.branch_id != branch_id and not any_branch):
            return f"{wording.whose}没有编号为 {meeting_id} 的会议。{wording.listing}"
        row.cancelled_at = self._now()
        session.add(row)
        name = self.type_of(row.type_key).name
        self._announce(session, row, rules.cancelled_text(name, aware(row.start_at), row.place,
                                                          verb=rules.verbs(row.type_key)[0]),
                       f"meeting:{row.id}:cancelled", told)
        if not commit:
            return ""
        session.commit()
        for offset in self._offsets:
            self._jobs.remove(f"remind:{row.id}:{int(offset.total_seconds())}")
        branch = session.get(Branch, row.branch_id) if not wording.whose else None
        return f"已取消{name}（编号 {row.id}），并已通知{branch.name if branch else wording.whose}的各个群。"

    def _announce(self, session: Session, row: MeetingRow, text: str, key: str, told: str | None) -> None:
        now = self._now()
        pushes = [Push(key=f"{key}:{g.channel}:{g.external_id}", kind="meeting", channel=g.channel,
                       chat_id=g.external_id, chat_name=g.name, is_group=True, text=text, due_at=now,
                       branch_id=row.branch_id)
                  for g in groups_of_branch(session=session, branch_id=row.branch_id) if g.external_id != told]
        enqueue(session=session, pushes=pushes, now=now)

    # ----- jobs -----

    def specs(self) -> list[JobSpec]:
        """Reminders still to come; and those already stored but due (missed while the bot was down: the
        job store decides, by their grace, whether they still go). A reminder whose time had passed when
        the meeting was arranged never gets a job."""
        now = self._now()
        stored = {job_id for job_id, _ in self._jobs.jobs("remind:")}
        with self.db.session() as session:
            rows = meetings_starting_after(session=session, after=now)
        specs = [self._reminder_spec(row, offset) for row in rows for offset in self._offsets]
        return [spec for spec, (row, offset) in zip(specs, [(r, o) for r in rows for o in self._offsets])
                if row.start_at - offset > now or spec.id in stored]

    def notice_spec(self) -> JobSpec:
        return JobSpec("notice:overdue", "notice", "overdue", self._notice_trigger, self._notice_grace)

    def notice_specs(self) -> list[JobSpec]:
        warning = [] if self._warning_trigger is None else [
            JobSpec("notice:warning", "notice", "warning", self._warning_trigger, self._notice_grace)]
        return [self.notice_spec(), *warning]

    def reconcile(self) -> None:
        self._jobs.reconcile(self.specs(), prefix="remind:")
        self._jobs.reconcile(self.notice_specs(), prefix="notice:")

    def remind(self, ref: str) -> None:
        meeting_id, seconds, _ = ref.split(":")
        now = self._now()
        with self.db.session() as session:
            row = session.get(MeetingRow, int(meeting_id))
            if row is None or row.cancelled_at is not None:
                return
            offset = timedelta(seconds=int(seconds))
            text = rules.reminder_text(self.type_of(row.type_key).name, aware(row.start_at), row.place, row.topic,
                                       offset, verb=rules.verbs(row.type_key)[0])
            pushes = [Push(key=f"remind:{row.id}:{seconds}:{row.start_at:%Y%m%d%H%M}:{g.channel}:{g.external_id}",
                           kind="reminder", channel=g.channel, chat_id=g.external_id, chat_name=g.name, is_group=True,
                           text=text, due_at=now, branch_id=row.branch_id)
                      for g in groups_of_branch(session=session, branch_id=row.branch_id)]
            enqueue(session=session, pushes=pushes, now=now)
            session.commit()

    # ----- 会议 -----

    def upcoming(self, session: Session, branch_id: int | None, limit: int = 10) -> list[MeetingRow]:
        return upcoming_meetings(session=session, branch_id=branch_id, since=self._now() - self._listed_after,
                                 limit=limit)

    def line(self, row: MeetingRow) -> str:
        where = f"，{row.place}" if row.place else ""
        topic = f"，主题：{row.topic}" if row.topic else ""
        return f"[{row.id}] {rules.when_text(aware(row.start_at))} {self.title(row)}{where}{topic}"

    def title(self, row: MeetingRow) -> str:
        """支部委员会会议; 党小组会（第一党小组）"""
        return self.type_of(row.type_key).name + (f"（{row.party_group}）" if row.party_group else "")
